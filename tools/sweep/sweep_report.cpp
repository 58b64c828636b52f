#include <algorithm>
#include <atomic>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <thread>

#include <sweep/sweep_report.hpp>

#include <sim/error.hpp>
#include <sim/world.hpp>

namespace converge::tools {
namespace {

using sim::ScenarioError;

constexpr std::uint64_t shards_max = 1'000'000;

std::uint64_t number(std::string_view text, const char* what) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        throw ScenarioError(std::string(what) + ": '" + std::string(text) + "' is not a number");
    return v;
}

const nlohmann::json& field(const nlohmann::json& doc, const char* name,
                            const std::string& source) {
    if (!doc.is_object() || !doc.contains(name))
        throw ScenarioError(source + ": not a converge-sim sweep report (no \"" + name + "\")");
    return doc.at(name);
}

}  // namespace

SeedRange parse_seeds(std::string_view text) {
    const auto dots = text.find("..");
    if (dots == std::string_view::npos)
        throw ScenarioError("--seeds takes FIRST..LAST, as in 1..1000");
    const SeedRange r{number(text.substr(0, dots), "--seeds"),
                      number(text.substr(dots + 2), "--seeds")};
    if (r.last < r.first) throw ScenarioError("--seeds: LAST is before FIRST");
    return r;
}

SeedRange shard_of(SeedRange range, std::string_view shard) {
    const auto slash = shard.find('/');
    if (slash == std::string_view::npos)
        throw ScenarioError("--shard takes I/N, as in 3/8 (the third of eight slices)");
    const std::uint64_t i = number(shard.substr(0, slash), "--shard");
    const std::uint64_t n = number(shard.substr(slash + 1), "--shard");
    if (n == 0 || i == 0 || i > n || n > shards_max)
        throw ScenarioError("--shard " + std::string(shard) + ": I must be 1 to N, and N at most " +
                            std::to_string(shards_max));
    const std::uint64_t size = range.size();
    // Slice k begins at first + floor(size * (k - 1) / N), computed without overflow (r < N, so
    // r * (k - 1) < N^2 fits): sizes differ by at most one.
    const std::uint64_t q = size / n, r = size % n;
    const auto begin = [&](std::uint64_t k) { return range.first + q * (k - 1) + r * (k - 1) / n; };
    if (begin(i + 1) == begin(i)) return SeedRange{};  // empty; last = begin - 1 wraps at seed 0
    return SeedRange{begin(i), begin(i + 1) - 1};
}

SweepReport SweepReport::run(const sim::Scenario& scenario, std::string scenario_file,
                             SeedRange range, unsigned jobs) {
    SweepReport report;
    report.scenario_file_ = std::move(scenario_file);
    sim::Scenario canonical = scenario;
    canonical.seed = 0;
    report.scenario_toml_ = sim::to_toml(canonical);
    Block block{range, std::vector<std::optional<double>>(range.size()), {}};
    std::atomic<std::uint64_t> next{range.first};
    std::mutex mutex;
    std::size_t done = 0;
    auto worker = [&] {
        for (std::uint64_t seed = next++; seed <= range.last; seed = next++) {
            sim::Scenario s = scenario;
            s.seed = seed;
            const sim::Report r = sim::World(s).run();
            std::lock_guard lock(mutex);
            if (!r.ok()) block.failing.push_back(seed);
            if (r.convergence_time)
                block.convergence_ms[seed - range.first] =
                    static_cast<double>(*r.convergence_time) / 1000.0;
            ++done;
            std::fprintf(stderr, "\r%zu/%llu seeds, %zu failing", done,
                         static_cast<unsigned long long>(range.size()), block.failing.size());
        }
    };
    std::vector<std::thread> threads;
    for (unsigned j = 0; j < std::max(1u, jobs); ++j)
        threads.emplace_back(worker);
    for (auto& t : threads)
        t.join();
    std::fprintf(stderr, "\n");
    std::sort(block.failing.begin(), block.failing.end());
    if (range.size() > 0) report.blocks_.push_back(std::move(block));
    return report;
}

SweepReport SweepReport::merge(const std::vector<std::pair<std::string, SweepReport>>& reports) {
    SweepReport merged;
    std::vector<std::pair<const Block*, const std::string*>> blocks;
    for (const auto& [source, report] : reports) {
        if (merged.scenario_toml_.empty()) {
            merged.scenario_file_ = report.scenario_file_;
            merged.scenario_toml_ = report.scenario_toml_;
        } else if (report.scenario_toml_ != merged.scenario_toml_) {
            throw ScenarioError(source + " is a sweep of another scenario than " +
                                reports.front().first + " (" + report.scenario_file_ +
                                "): only shards of one scenario merge");
        }
        for (const Block& b : report.blocks_)
            blocks.emplace_back(&b, &source);
    }
    std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
        return a.first->seeds.first < b.first->seeds.first;
    });
    for (std::size_t i = 1; i < blocks.size(); ++i)
        if (blocks[i].first->seeds.first <= blocks[i - 1].first->seeds.last)
            throw ScenarioError(*blocks[i - 1].second + " and " + *blocks[i].second +
                                " both hold seed " + std::to_string(blocks[i].first->seeds.first) +
                                ": merge reports of disjoint shards only");
    for (const auto& [block, source] : blocks)
        merged.blocks_.push_back(*block);
    return merged;
}

std::size_t SweepReport::seeds() const {
    std::size_t n = 0;
    for (const Block& b : blocks_)
        n += b.convergence_ms.size();
    return n;
}

std::vector<SeedRange> SweepReport::gaps(std::optional<SeedRange> expected) const {
    std::vector<SeedRange> out;
    if (blocks_.empty()) {
        if (expected) out.push_back(*expected);
        return out;
    }
    if (expected && expected->first < blocks_.front().seeds.first)
        out.push_back({expected->first, blocks_.front().seeds.first - 1});
    for (std::size_t i = 1; i < blocks_.size(); ++i)
        if (blocks_[i].seeds.first > blocks_[i - 1].seeds.last + 1)
            out.push_back({blocks_[i - 1].seeds.last + 1, blocks_[i].seeds.first - 1});
    if (expected && expected->last > blocks_.back().seeds.last)
        out.push_back({blocks_.back().seeds.last + 1, expected->last});
    return out;
}

nlohmann::json SweepReport::to_json() const {
    nlohmann::json blocks = nlohmann::json::array();
    for (const Block& b : blocks_) {
        nlohmann::json ms = nlohmann::json::array();
        for (const auto& t : b.convergence_ms)
            ms.push_back(t ? nlohmann::json(*t) : nlohmann::json(nullptr));
        blocks.push_back({{"first", b.seeds.first},
                          {"last", b.seeds.last},
                          {"convergence_ms", std::move(ms)},
                          {"failing", b.failing}});
    }
    return {{"converge_sim_sweep", 1},
            {"scenario_file", scenario_file_},
            {"scenario", scenario_toml_},
            {"blocks", std::move(blocks)}};
}

SweepReport SweepReport::from_json(const nlohmann::json& doc, const std::string& source) {
    SweepReport r;
    try {
        if (field(doc, "converge_sim_sweep", source).get<int>() != 1)
            throw ScenarioError(source + ": a sweep report of another version");
        r.scenario_file_ = field(doc, "scenario_file", source).get<std::string>();
        r.scenario_toml_ = field(doc, "scenario", source).get<std::string>();
        for (const auto& b : field(doc, "blocks", source)) {
            Block block{{field(b, "first", source).get<std::uint64_t>(),
                         field(b, "last", source).get<std::uint64_t>()},
                        {},
                        field(b, "failing", source).get<std::vector<std::uint64_t>>()};
            for (const auto& t : field(b, "convergence_ms", source))
                block.convergence_ms.push_back(t.is_null() ? std::nullopt
                                                           : std::optional(t.get<double>()));
            if (block.seeds.last < block.seeds.first ||
                block.convergence_ms.size() != block.seeds.size())
                throw ScenarioError(source + ": block " + std::to_string(block.seeds.first) + ".." +
                                    std::to_string(block.seeds.last) + " holds " +
                                    std::to_string(block.convergence_ms.size()) + " results");
            r.blocks_.push_back(std::move(block));
        }
    } catch (const nlohmann::json::exception& e) {
        throw ScenarioError(source + ": not a converge-sim sweep report (" + e.what() + ")");
    }
    // One report's blocks are disjoint too: merge() checks and sorts them.
    return merge({{source, r}});
}

int SweepReport::print(const std::string& header, std::optional<SeedRange> expected) const {
    std::vector<double> times;
    std::vector<std::uint64_t> failing;
    for (const Block& b : blocks_) {
        for (const auto& t : b.convergence_ms)
            if (t) times.push_back(*t);
        failing.insert(failing.end(), b.failing.begin(), b.failing.end());
    }
    std::sort(times.begin(), times.end());
    const auto pct = [&](double p) {
        if (times.empty()) return 0.0;
        const auto i = static_cast<std::size_t>(p * static_cast<double>(times.size()));
        return times[std::min(times.size() - 1, i)];
    };
    std::printf("%s\n", header.c_str());
    std::vector<SeedRange> covered;  // adjacent blocks joined
    for (const Block& b : blocks_) {
        if (!covered.empty() && covered.back().last + 1 == b.seeds.first)
            covered.back().last = b.seeds.last;
        else
            covered.push_back(b.seeds);
    }
    std::string ranges;
    for (const SeedRange& c : covered)
        ranges +=
            (ranges.empty() ? "" : ", ") + std::to_string(c.first) + ".." + std::to_string(c.last);
    std::printf("seeds %s (%zu seeds)\n", ranges.empty() ? "none" : ranges.c_str(), seeds());
    const auto missing = gaps(expected);
    for (const SeedRange& g : missing)
        std::printf("MISSING seeds %llu..%llu: no report covers them\n",
                    static_cast<unsigned long long>(g.first),
                    static_cast<unsigned long long>(g.last));
    std::printf(
        "convergence after the end of the run: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, "
        "max %.0f ms\n",
        pct(0.5), pct(0.9), pct(0.99), times.empty() ? 0.0 : times.back());
    for (std::uint64_t seed : failing)
        std::printf("FAILED seed %llu: reproduce with  converge-sim run %s --seed %llu\n",
                    static_cast<unsigned long long>(seed), scenario_file_.c_str(),
                    static_cast<unsigned long long>(seed));
    const char* result = !failing.empty() ? "FAILED" : !missing.empty() ? "INCOMPLETE" : "OK";
    std::printf("result: %s\n", result);
    return failing.empty() && missing.empty() ? 0 : 1;
}

}  // namespace converge::tools
