// converge-sim: runs partition simulations of converge replicas from TOML scenarios.
//
//   converge-sim run examples/scenarios/three-regions.toml [--seed N] [--json report.json]
//                    [--trace trace.txt] [--report DIR] [--no-shrink] [--shrink-to FILE]
//   converge-sim sweep examples/scenarios/three-regions.toml --seeds 1..1000 [--jobs 2]
//                      [--shard I/N] [--json report.json]
//   converge-sim merge REPORT.json... [--seeds 1..1000] [--json merged.json]
//
// Exit status: 0 when every run converged and met its expectations, 1 on a violation or an
// unmet expectation, 2 on a bad scenario file or command line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sweep/sweep_report.hpp>
#include <unistd.h>

#include <sim/error.hpp>
#include <sim/report_html.hpp>
#include <sim/shrink.hpp>
#include <sim/world.hpp>

namespace {

using converge::sim::Micros;
using converge::sim::Report;
using converge::sim::Scenario;
using nlohmann::json;

json to_json(const converge::sim::FinalValue& v) {
    if (std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v);
    if (std::holds_alternative<std::vector<std::string>>(v))
        return std::get<std::vector<std::string>>(v);
    if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
    if (const auto* pairs = std::get_if<converge::sim::Pairs>(&v)) {
        json out = json::object();  // a hash's fields, or a zset's members and scores
        for (const auto& [name, value] : *pairs)
            out[name] = value;
        return out;
    }
    return nullptr;
}

json to_json(const Report& r, const Scenario& s) {
    json out;
    out["seed"] = s.seed;
    out["converged"] = r.converged;
    out["convergence_ms"] = r.convergence_time
                                ? json(static_cast<double>(*r.convergence_time) / 1000.0)
                                : json(nullptr);
    out["simulated_ms"] = static_cast<double>(r.simulated) / 1000.0;
    for (const auto& [name, keys] : r.replicas)
        for (const auto& [key, value] : keys)
            out["replicas"][name][key] = to_json(value);
    out["expectations"] = json::array();
    for (const auto& e : r.expectations)
        out["expectations"].push_back(
            {{"key", e.expectation.key}, {"met", e.met}, {"detail", e.detail}});
    out["violations"] = r.violations;
    const auto& st = r.stats;
    out["stats"] = {{"events", st.events},
                    {"operations", st.operations},
                    {"messages_sent", st.messages_sent},
                    {"messages_delivered", st.messages_delivered},
                    {"messages_dropped", st.messages_dropped},
                    {"messages_duplicated", st.messages_duplicated},
                    {"bytes_sent", st.bytes_sent},
                    {"bytes_by_route", st.bytes_by_route},
                    {"peak_metadata_bytes", st.peak_metadata_bytes},
                    {"clones_detected", st.clones_detected},
                    {"ids_per_key_max", st.ids_per_key_max},
                    {"metadata_bytes_per_key", st.metadata_bytes_per_key}};
    out["trace_hash"] = r.trace_hash;
    out["divergence"] = nlohmann::json::array();
    for (const auto& d : r.divergence)
        out["divergence"].push_back({{"from", d.from},
                                     {"to", d.to},
                                     {"comparisons", d.comparisons},
                                     {"differing", d.differing},
                                     {"keys_repaired", d.keys_repaired},
                                     {"differing_after_end", d.differing_after_end},
                                     {"cannot_agree", d.cannot_agree}});
    return out;
}

// Digest comparisons that found differing keys: how many while writes ran and after; each pair
// that kept finding differences after the end of a run that did not converge cannot agree.
void print_divergence(const Report& r) {
    std::uint64_t comparisons = 0, differing = 0, after = 0;
    for (const auto& d : r.divergence) {
        comparisons += d.comparisons;
        differing += d.differing;
        after += d.differing_after_end;
    }
    std::printf(
        "  digest comparisons   %llu, %llu found differing keys, %llu of those after the end\n",
        static_cast<unsigned long long>(comparisons), static_cast<unsigned long long>(differing),
        static_cast<unsigned long long>(after));
    for (const auto& d : r.divergence)
        if (d.cannot_agree)
            std::printf(
                "    %-28s CANNOT AGREE: %llu comparisons after the end found differing "
                "keys (%llu keys repaired in all)\n",
                (d.from + " -> " + d.to).c_str(),
                static_cast<unsigned long long>(d.differing_after_end),
                static_cast<unsigned long long>(d.keys_repaired));
}

void print_summary(const Report& r, const Scenario& s, double wall_s) {
    const auto& st = r.stats;
    std::printf("\nseed %llu: %zu replicas, %s simulated in %.2f s wall (%.0fx)\n",
                static_cast<unsigned long long>(s.seed), r.replicas.size(),
                converge::sim::format_duration(r.simulated).c_str(), wall_s,
                static_cast<double>(r.simulated) / 1e6 / std::max(wall_s, 1e-9));
    std::printf("  converged            %s\n",
                r.converged
                    ? ("yes, " + converge::sim::format_duration(*r.convergence_time) +
                       " after the end of the run (last write, then every partition healed)")
                          .c_str()
                    : "NO");
    std::printf("  operations           %llu\n", static_cast<unsigned long long>(st.operations));
    std::printf("  events               %llu (%.2f M/s)\n",
                static_cast<unsigned long long>(st.events),
                static_cast<double>(st.events) / std::max(wall_s, 1e-9) / 1e6);
    std::printf("  messages             %llu sent, %llu delivered, %llu dropped, %llu duplicated\n",
                static_cast<unsigned long long>(st.messages_sent),
                static_cast<unsigned long long>(st.messages_delivered),
                static_cast<unsigned long long>(st.messages_dropped),
                static_cast<unsigned long long>(st.messages_duplicated));
    std::printf("  bytes by route\n");
    for (const auto& [route, bytes] : st.bytes_by_route)
        std::printf("    %-28s %10llu\n", route.c_str(), static_cast<unsigned long long>(bytes));
    if (st.peak_metadata_bytes.size() <= 12) {
        std::printf("  peak metadata bytes");
        for (const auto& [name, bytes] : st.peak_metadata_bytes)
            std::printf("  %s %llu", name.c_str(), static_cast<unsigned long long>(bytes));
        std::printf("\n");
    }
    std::printf(
        "  replica ids          at most %llu writer ids in one key, %.1f metadata bytes a "
        "key, %llu clones detected\n",
        static_cast<unsigned long long>(st.ids_per_key_max), st.metadata_bytes_per_key,
        static_cast<unsigned long long>(st.clones_detected));
    print_divergence(r);
    for (const auto& e : r.expectations)
        std::printf("  expect %-13s %s%s\n", e.expectation.key.c_str(),
                    e.met ? "met" : "NOT MET: ", e.detail.c_str());
    if (r.violations.empty())
        std::printf(
            "  oracle               no violation (causal model, checked every %s and at "
            "the end)\n",
            s.check_interval > 0 ? converge::sim::format_duration(s.check_interval).c_str() : "-");
    for (const std::string& v : r.violations)
        std::printf("  VIOLATION            %s\n", v.c_str());
    std::printf("result: %s\n", r.ok() ? "OK" : "FAILED");
}

struct RunOptions {
    std::optional<std::uint64_t> seed;
    std::string json_out, trace_out, report_dir, shrink_to;
    bool shrink = true;
};

// A progress bar on stderr when it is a terminal.
std::function<void(Micros, Micros)> progress_bar(bool tty) {
    if (!tty) return {};
    return [](Micros now, Micros end) {
        const int pct =
            static_cast<int>(std::min<Micros>(100, now * 100 / std::max<Micros>(end, 1)));
        std::fprintf(stderr, "\r[%-50s] %3d%%  %s",
                     std::string(static_cast<std::size_t>(pct / 2), '#').c_str(), pct,
                     converge::sim::format_duration(now).c_str());
    };
}

// Shrinks a failing scenario and writes the smallest one found as TOML.
// Operations per simulated second over all of the scenario's workloads.
double workload_rate(const Scenario& s) {
    double rate = 0;
    for (const converge::sim::Workload& w : s.workloads)
        rate += w.rate;
    return rate;
}

void shrink_and_save(const Scenario& s, const Report& r, const std::string& file, std::string out,
                     bool tty) {
    if (out.empty())
        out = std::filesystem::path(file).stem().string() + "-seed" + std::to_string(s.seed) +
              "-min.toml";
    std::printf("\nshrinking (%s) ...\n", converge::sim::failure_kind(r).c_str());
    converge::sim::ShrinkOptions options;
    options.progress = [&](std::size_t runs, const Scenario& best) {
        if (tty)
            std::fprintf(stderr, "\r  %zu runs: %zu faults, %zu ops, %.0f workload ops/s, %s    ",
                         runs, best.faults.size(), best.ops.size(), workload_rate(best),
                         converge::sim::format_duration(best.duration).c_str());
    };
    const converge::sim::Shrunk small = converge::sim::shrink(s, options);
    if (tty) std::fprintf(stderr, "\r%90s\r", "");
    std::string comment = "The smallest failing scenario converge-sim found, from " + file +
                          " (seed " + std::to_string(s.seed) + ") after " +
                          std::to_string(small.runs) + " runs.\nIt fails with:";
    for (const std::string& v : small.report.violations)
        comment += "\n  " + v;
    for (const auto& e : small.report.expectations)
        if (!e.met) comment += "\n  expectation " + e.expectation.key + ": " + e.detail;
    std::ofstream(out) << converge::sim::to_toml(small.scenario, comment);
    const double rate = workload_rate(small.scenario);
    const std::string workload =
        rate > 0 ? "a workload of " + std::to_string(static_cast<long>(rate)) + " ops/s"
                 : "no workload";
    std::printf(
        "smallest failing scenario (%zu runs): %zu regions, %zu faults, %zu operations, "
        "%s, a %s run\n  written to %s; replay with  converge-sim run %s\n",
        small.runs, small.scenario.regions.size(), small.scenario.faults.size(),
        small.scenario.ops.size(), workload.c_str(),
        converge::sim::format_duration(small.scenario.duration).c_str(), out.c_str(), out.c_str());
}

// Writes doc to path (indent: as json::dump) and says where. Throws ScenarioError if it cannot.
void write_json(const std::string& path, const json& doc, int indent = -1) {
    std::ofstream out(path);
    out << doc.dump(indent) << "\n";
    if (!out.flush())
        throw converge::sim::ScenarioError("cannot write " + path + ": check the folder exists");
    std::printf("report: %s\n", path.c_str());
}

int run_command(const std::string& file, const RunOptions& opt) {
    Scenario s = converge::sim::load_scenario(file);
    if (opt.seed) s.seed = *opt.seed;
    const bool tty = isatty(fileno(stderr));
    const auto start = std::chrono::steady_clock::now();
    converge::sim::World world(s);
    std::ofstream trace;
    if (!opt.trace_out.empty()) {
        trace.open(opt.trace_out);
        if (!trace) throw converge::sim::ScenarioError(opt.trace_out + ": cannot write the trace");
        world.trace_to([&](std::string_view line) { trace << line << '\n'; });
    }
    if (!opt.report_dir.empty()) world.record_timeline();
    const Report r = world.run(progress_bar(tty));
    if (tty) std::fprintf(stderr, "\r%80s\r", "");
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_summary(r, s, wall);
    if (!opt.json_out.empty()) write_json(opt.json_out, to_json(r, s), 2);
    if (!opt.trace_out.empty()) std::printf("trace: %s\n", opt.trace_out.c_str());
    if (!opt.report_dir.empty()) {
        std::filesystem::create_directories(opt.report_dir);
        const std::string page = opt.report_dir + "/index.html";
        std::ofstream(page) << converge::sim::report_html(r, s);
        std::printf("report: %s\n", page.c_str());
    }
    if (!r.ok() && opt.shrink) shrink_and_save(s, r, file, opt.shrink_to, tty);
    return r.ok() ? 0 : 1;
}

int sweep_command(const std::string& file, const std::string& seeds, const std::string& shard,
                  unsigned jobs, const std::string& json_out) {
    using converge::tools::SweepReport;
    const Scenario base = converge::sim::load_scenario(file);
    const converge::tools::SeedRange all = converge::tools::parse_seeds(seeds);
    const converge::tools::SeedRange range =
        shard.empty() ? all : converge::tools::shard_of(all, shard);
    const auto start = std::chrono::steady_clock::now();
    const SweepReport report = SweepReport::run(base, file, range, jobs);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char header[200];
    std::snprintf(header, sizeof header, "%llu seeds in %.1f s wall, %u jobs%s%s",
                  static_cast<unsigned long long>(range.size()), wall, std::max(1u, jobs),
                  shard.empty() ? "" : ", shard ", shard.c_str());
    const int status = report.print(header);
    if (!json_out.empty()) write_json(json_out, report.to_json());
    return status;
}

int merge_command(const std::vector<std::string>& files, const std::string& seeds,
                  const std::string& json_out) {
    using converge::tools::SweepReport;
    std::vector<std::pair<std::string, SweepReport>> reports;
    for (const std::string& f : files) {
        std::ifstream in(f);
        if (!in) throw converge::sim::ScenarioError("cannot read " + f);
        nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
        if (doc.is_discarded())
            throw converge::sim::ScenarioError(f +
                                               ": not JSON (a sweep report is written by "
                                               "converge-sim sweep --json)");
        reports.emplace_back(f, SweepReport::from_json(doc, f));
    }
    const SweepReport merged = SweepReport::merge(reports);
    std::optional<converge::tools::SeedRange> expected;
    if (!seeds.empty()) expected = converge::tools::parse_seeds(seeds);
    const int status =
        merged.print("merged " + std::to_string(files.size()) + " reports", expected);
    if (!json_out.empty()) write_json(json_out, merged.to_json());
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"converge-sim: deterministic partition simulations of converge replicas"};
    app.require_subcommand(1);
    std::string file, seeds = "1..100";
    RunOptions opt;
    bool no_shrink = false;
    unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
    auto* run = app.add_subcommand("run", "run one scenario and print a summary");
    run->add_option("file", file, "scenario file (TOML; see docs/scenarios.md)")->required();
    run->add_option("--seed", opt.seed, "override the scenario's seed");
    run->add_option("--json", opt.json_out, "write the report as JSON to this file");
    run->add_option("--trace", opt.trace_out, "write every event, one a line, to this file");
    run->add_option("--report", opt.report_dir,
                    "write an HTML report with charts to DIR/index.html");
    run->add_flag("--no-shrink", no_shrink, "on a failure, do not look for a smaller scenario");
    run->add_option("--shrink-to", opt.shrink_to,
                    "where to write the smallest failing scenario (default: "
                    "<scenario>-seed<N>-min.toml here)");
    auto* sweep = app.add_subcommand("sweep", "run a scenario under many seeds");
    sweep->add_option("file", file, "scenario file (TOML)")->required();
    sweep->add_option("--seeds", seeds, "FIRST..LAST, as in 1..1000");
    sweep->add_option("--jobs", jobs, "parallel runs (default: one per core)");
    std::string shard, sweep_json;
    sweep->add_option("--shard", shard,
                      "I/N: run only the I-th of N disjoint slices of the seeds (merge the "
                      "reports with converge-sim merge)");
    sweep->add_option("--json", sweep_json, "write the sweep's report as JSON to this file");
    auto* merge = app.add_subcommand("merge", "join the JSON reports of sweeps of disjoint shards");
    std::vector<std::string> reports;
    std::string merge_seeds, merge_json;
    merge->add_option("reports", reports, "reports written by converge-sim sweep --json")
        ->required();
    merge->add_option("--seeds", merge_seeds,
                      "FIRST..LAST the shards should cover: missing seeds make the result "
                      "INCOMPLETE");
    merge->add_option("--json", merge_json, "write the merged report as JSON to this file");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    try {
        opt.shrink = !no_shrink;
        if (*run) return run_command(file, opt);
        if (*merge) return merge_command(reports, merge_seeds, merge_json);
        return sweep_command(file, seeds, shard, jobs, sweep_json);
    } catch (const converge::sim::ScenarioError& e) {
        std::fprintf(stderr, "converge-sim: %s\n", e.what());
        return 2;
    } catch (const std::invalid_argument&) {
        std::fprintf(stderr, "converge-sim: --seeds takes numbers, as in 1..1000\n");
        return 2;
    }
}
