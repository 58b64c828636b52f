// File: sim/toml_reader.hpp
// TomlReader: typed reads of a scenario file's tables (numbers in range, durations, names), each
// problem a ScenarioError naming the file and line. Internal to the scenario parser.
#pragma once

#include <algorithm>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include <sim/duration.hpp>
#include <sim/error.hpp>
#include <sim/scenario.hpp>

namespace converge::sim::detail {

// Reads the tables of one file, turning every problem into a ScenarioError with its line.
class Reader {
  public:
    explicit Reader(std::string_view source) : source_(source) {}

    [[noreturn]] void fail(const toml::node* at, const std::string& why) const {
        std::string where(source_);
        if (at != nullptr) where += ":" + std::to_string(at->source().begin.line);
        throw ScenarioError(where + ": " + why);
    }

    // Fails on the first key of t not in known: a typo is an error, not a silent default.
    void only(const toml::table& t, std::initializer_list<std::string_view> known,
              std::string_view where) const {
        only(t, std::span(known.begin(), known.size()), where);
    }
    void only(const toml::table& t, std::span<const std::string_view> known,
              std::string_view where) const {
        for (const auto& [key, node] : t) {
            if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
            std::string list;
            for (std::string_view k : known)
                list += (list.empty() ? "" : ", ") + std::string(k);
            fail(&node, "unknown key \"" + std::string(key.str()) + "\" in " + std::string(where) +
                            " (known keys: " + list + ")");
        }
    }

    std::string text(const toml::table& t, std::string_view key, const std::string& fallback = {},
                     bool required = false) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            if (required) fail(&t, "missing key \"" + std::string(key) + "\"");
            return fallback;
        }
        if (!n->is_string()) fail(n, "\"" + std::string(key) + "\" must be a string");
        return std::string(*n->value<std::string_view>());
    }

    Micros duration(const toml::table& t, std::string_view key, Micros fallback,
                    bool required = false) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            if (required) fail(&t, "missing key \"" + std::string(key) + "\"");
            return fallback;
        }
        if (!n->is_string())
            fail(n, "\"" + std::string(key) + "\" must be a duration string like \"250ms\"");
        try {
            return parse_duration(*n->value<std::string_view>());
        } catch (const ScenarioError& e) {
            fail(n, e.what());
        }
    }

    double number(const toml::table& t, std::string_view key, double fallback, double min,
                  double max) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return fallback;
        const auto v = n->value<double>();
        if (!v || *v < min || *v > max)
            fail(n, "\"" + std::string(key) + "\" must be a number from " + std::to_string(min) +
                        " to " + std::to_string(max));
        return *v;
    }

    std::int64_t integer(const toml::table& t, std::string_view key, std::int64_t fallback,
                         std::int64_t min, std::int64_t max) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return fallback;
        // value_exact: toml++'s converting value<int64_t>() casts a float like 1e19 to an integer
        // unchecked (undefined behaviour, found by the scenario_toml fuzz target).
        const auto v = n->value_exact<std::int64_t>();
        if (!v || *v < min || *v > max)
            fail(n, "\"" + std::string(key) + "\" must be an integer from " + std::to_string(min) +
                        " to " + std::to_string(max));
        return *v;
    }

    // The tables of an array of tables ([[name]]); none if absent.
    std::vector<const toml::table*> tables(const toml::table& t, std::string_view key) const {
        std::vector<const toml::table*> out;
        const toml::node* n = t.get(key);
        if (n == nullptr) return out;
        const toml::array* a = n->as_array();
        if (a == nullptr)
            fail(n, "\"" + std::string(key) + "\" must be written [[" + std::string(key) + "]]");
        for (const toml::node& e : *a) {
            if (!e.is_table()) fail(&e, "each [[" + std::string(key) + "]] must be a table");
            out.push_back(e.as_table());
        }
        return out;
    }

    std::vector<std::string> strings(const toml::node& n, const std::string& what) const {
        std::vector<std::string> out;
        const toml::array* a = n.as_array();
        if (a == nullptr) fail(&n, what + " must be an array of strings");
        for (const toml::node& e : *a) {
            if (!e.is_string()) fail(&e, what + " must be an array of strings");
            out.emplace_back(*e.value<std::string_view>());
        }
        return out;
    }

    // Fails at `at` unless name is one of known; what names the kind ("replica", "region").
    void known_name(const toml::node* at, const std::string& name,
                    const std::vector<std::string>& known, const std::string& what) const {
        if (std::find(known.begin(), known.end(), name) != known.end()) return;
        std::string hint;
        if (!known.empty()) hint = " (" + what + " names are like \"" + known.front() + "\")";
        fail(at, "no " + what + " named \"" + name + "\"" + hint);
    }

    // Reads the required string at key and fails unless it is one of known.
    std::string name(const toml::table& t, std::string_view key,
                     const std::vector<std::string>& known, const std::string& what) const {
        std::string n = text(t, key, {}, true);
        known_name(t.get(key), n, known, what);
        return n;
    }

    OpType op_type(const toml::table& t) const {
        const std::string type = text(t, "type", {}, true);
        if (type == "counter") return OpType::counter;
        if (type == "set") return OpType::set;
        if (type == "kv") return OpType::kv;
        if (type == "hash") return OpType::hash;
        if (type == "zset") return OpType::zset;
        if (type == "hll") return OpType::hll;
        fail(t.get("type"), "type \"" + type + "\" is not counter, set, kv, hash, zset or hll");
    }

  private:
    std::string_view source_;
};

}  // namespace converge::sim::detail
