// File: tools/sweep/sweep_report.hpp
// SweepReport: one scenario run under a range of seeds on many threads, and the report it makes:
// the seeds it covered, each one's convergence time, the ones that failed. A range can be cut into
// disjoint shards (--shard I/N), each swept anywhere, and their reports merged into the report of
// the whole range, so a batch system can spread a million-seed sweep over many machines
// (docs/scenarios.md, Sweeps across machines).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <sim/scenario.hpp>

namespace converge::tools {

// Seeds first..last, both included.
struct SeedRange {
    std::uint64_t first = 1;
    std::uint64_t last = 0;
    std::uint64_t size() const { return last >= first ? last - first + 1 : 0; }
};

// "FIRST..LAST" as a range. Throws sim::ScenarioError saying what to write.
SeedRange parse_seeds(std::string_view text);
// The I-th of N contiguous, disjoint slices of range, for shard "I/N" (1 <= I <= N); the slices
// cover the range exactly and differ in size by at most one seed (a slice may be empty when N
// exceeds the range's size). Throws sim::ScenarioError.
SeedRange shard_of(SeedRange range, std::string_view shard);

// What the runs of some seeds gave. Reports of disjoint seeds of one scenario merge.
class SweepReport {
  public:
    // One contiguous block of seeds: convergence_ms[i] is seed first + i's convergence time after
    // the end of the run (nullopt: it did not converge).
    struct Block {
        SeedRange seeds;
        std::vector<std::optional<double>> convergence_ms;
        std::vector<std::uint64_t> failing;
    };

    // Runs scenario under every seed of range on jobs threads, printing progress to stderr.
    static SweepReport run(const sim::Scenario& scenario, std::string scenario_file,
                           SeedRange range, unsigned jobs);
    // Joins reports of one scenario over disjoint seeds. Throws sim::ScenarioError if they name
    // different scenarios or share a seed (naming both files).
    static SweepReport merge(const std::vector<std::pair<std::string, SweepReport>>& reports);

    nlohmann::json to_json() const;
    // Throws sim::ScenarioError on a document that is not a sweep report (naming the field).
    static SweepReport from_json(const nlohmann::json& doc, const std::string& source);

    // Prints header, then the seeds covered and any missing (between the blocks, and within
    // expected if given), the convergence percentiles, each failing seed with the command that
    // reproduces it, and "result: OK", "FAILED" or "INCOMPLETE" (seeds missing). Returns the exit
    // status: 0 for OK, 1 otherwise.
    int print(const std::string& header, std::optional<SeedRange> expected = std::nullopt) const;

    const std::vector<Block>& blocks() const { return blocks_; }
    std::size_t seeds() const;
    // The seeds no block covers: between blocks, and before or after them within expected.
    std::vector<SeedRange> gaps(std::optional<SeedRange> expected = std::nullopt) const;

  private:
    std::string scenario_file_;
    std::string scenario_toml_;  // canonical, seed 0: shards of other scenarios do not merge
    std::vector<Block> blocks_;  // sorted by first seed, disjoint
};

}  // namespace converge::tools
