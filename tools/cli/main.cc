// detente: the command line client of the Detente services.
#include <CLI/CLI.hpp>

#include "tools/cli/ask_commands.h"
#include "tools/cli/client.h"
#include "tools/cli/commands.h"

namespace {

using namespace detente::cli;

CLI::App* AddIngest(CLI::App& app, IngestOptions& o) {
  CLI::App* c = app.add_subcommand(
      "ingest",
      "Load event files: jsonl (detente.v1.Event per line), csv (header of "
      "Event field names), gdelt (1.0/2.0 exports), icews (.tab); plain or "
      ".gz; format guessed when not given (docs/importing.md)");
  c->add_option("files", o.files, "Files, '-' for stdin")->required();
  c->add_option("--format", o.format, "jsonl, csv, gdelt or icews")
      ->check(CLI::IsMember({"jsonl", "csv", "gdelt", "icews"}));
  c->add_option("--batch", o.batch, "Events per batch, 1..10000")
      ->capture_default_str();
  c->add_flag("--strict", o.strict,
              "Stop at the first bad row; nothing of its batch is written");
  c->add_flag("-q,--quiet", o.quiet, "No progress bar");
  return c;
}

CLI::App* AddRead(CLI::App& app, ReadOptions& o) {
  CLI::App* c = app.add_subcommand("read", "Read the log back");
  c->add_option("--pair", o.pair, "Only this pair, e.g. KOR-JPN");
  c->add_option("--from", o.from, "First position (inclusive)");
  c->add_option("--to", o.to, "Last position (inclusive)");
  c->add_option("--limit", o.limit, "At most this many entries");
  c->add_flag("--backward", o.backward, "Newest first");
  c->add_flag("--by-date", o.by_date, "Sort by event date");
  c->add_option("--format", o.format, "table or jsonl")
      ->check(CLI::IsMember({"table", "jsonl"}))
      ->capture_default_str();
  return c;
}

CLI::App* AddExport(CLI::App& app, ExportOptions& o) {
  CLI::App* c = app.add_subcommand(
      "export",
      "Replay the log to stdout as JSONL that `detente ingest` loads again");
  c->add_option("--from-position", o.from, "First position (inclusive)");
  c->add_option("--to-position", o.to, "Last position (inclusive)");
  c->add_option("--pair", o.pair, "Only this pair, e.g. KOR-JPN");
  c->add_option("--actor", o.actors, "Only entries involving these actors");
  c->add_option("--occurred-from", o.occurred_from, "Events on or after DATE");
  c->add_option("--occurred-to", o.occurred_to, "Events on or before DATE");
  c->add_option("--cameo-root", o.cameo_roots, "Only these CAMEO roots (14)");
  c->add_option("--tag", o.tags, "Only events with one of these tags");
  c->add_flag("-q,--quiet", o.quiet, "No count on stderr");
  return c;
}

CLI::App* AddBackup(CLI::App& app, BackupOptions& o) {
  CLI::App* c = app.add_subcommand(
      "backup",
      "Online, consistent copy of the log into a directory on the ingestion "
      "service's machine (admin; restore: docs/operations.md)");
  c->add_option("directory", o.directory,
                "Absolute path on the server; must not exist or be empty")
      ->required();
  c->add_option("--timeout", o.timeout_seconds, "Seconds to wait for the copy")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return c;
}

CLI::App* AddSynth(CLI::App& app, SynthCommandOptions& o) {
  CLI::App* c = app.add_subcommand(
      "synth", "Write a deterministic synthetic history as JSONL");
  c->add_option("--events", o.events, "Entries to write")
      ->capture_default_str();
  c->add_option("--seed", o.seed, "Seed")->capture_default_str();
  c->add_option("--actors", o.actors, "Number of actors")
      ->capture_default_str();
  c->add_option("--late-fraction", o.late_fraction,
                "Fraction of events dated long before their neighbours")
      ->capture_default_str();
  c->add_option("--corrections", o.corrections, "Fraction of corrections")
      ->capture_default_str();
  c->add_option("--retractions", o.retractions, "Fraction of retractions")
      ->capture_default_str();
  c->add_option("--out", o.out, "Output file, '-' for stdout")
      ->capture_default_str();
  return c;
}

void AddSeriesOptions(CLI::App* c, SeriesCommandOptions& o) {
  c->add_option("--from", o.from, "First day (YYYY, YYYY-MM or YYYY-MM-DD); "
                                  "default: the first event");
  c->add_option("--to", o.to, "Last day; default: today");
  c->add_option("--resolution", o.resolution, "day, week, month, quarter or year")
      ->check(CLI::IsMember({"day", "week", "month", "quarter", "year"}))
      ->capture_default_str();
  c->add_option("--half-life", o.half_life, "Half-life in days, 1..3650 (default 90)");
  c->add_option("--prior", o.prior, "Prior strength c >= 0 (default 1)");
  c->add_option("--as-of", o.as_of, "Answer as of this log position");
  c->add_option("--tag", o.tags, "Only events with one of these tags");
  c->add_option("--format", o.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
}

CLI::App* AddTemperature(CLI::App& app, SeriesCommandOptions& o) {
  CLI::App* c = app.add_subcommand(
      "temperature", "The relation temperature of a pair over time "
                     "(docs/temperature.md)");
  c->add_option("actors", o.actors, "Two actors: codes (KOR) or names")
      ->required()->expected(2);
  c->add_flag("--directed", o.directed, "Only what the first does to the second");
  AddSeriesOptions(c, o);
  return c;
}

CLI::App* AddGroup(CLI::App& app, SeriesCommandOptions& o) {
  CLI::App* c = app.add_subcommand(
      "group", "The pooled temperature of a group (2..16 actors), and its pairs");
  c->add_option("actors", o.actors, "Actors: codes or names")
      ->required()->expected(2, 16);
  AddSeriesOptions(c, o);
  return c;
}

CLI::App* AddTimeline(CLI::App& app, TimelineCommandOptions& o) {
  CLI::App* c = app.add_subcommand(
      "timeline", "Events of a pair or an actor in date order");
  c->add_option("actors", o.actors, "One actor or two")->required()->expected(1, 2);
  c->add_option("--from", o.from, "First day");
  c->add_option("--to", o.to, "Last day");
  c->add_flag("--directed", o.directed, "Only what the first does to the second");
  c->add_flag("--include-retracted", o.include_retracted, "Show retracted events, marked");
  c->add_option("--page-size", o.page_size, "Events per page, 1..1000")
      ->capture_default_str();
  c->add_flag("--all", o.all, "Every page");
  c->add_option("--as-of", o.as_of, "As of this log position");
  c->add_option("--format", o.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return c;
}

CLI::App* AddMovers(CLI::App& app, MoversCommandOptions& o) {
  CLI::App* c = app.add_subcommand(
      "movers", "The pairs that warmed and cooled most between two dates");
  c->add_option("--from", o.from, "First date")->required();
  c->add_option("--to", o.to, "Second date")->required();
  c->add_option("--limit", o.limit, "Pairs per list, 1..100")->capture_default_str();
  c->add_option("--min-heat", o.min_heat, "Only pairs with at least this heat at --to");
  c->add_option("--half-life", o.half_life, "Half-life in days (default 90)");
  c->add_option("--as-of", o.as_of, "As of this log position");
  c->add_option("--format", o.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return c;
}

CLI::App* AddActor(CLI::App& app, ActorCommandOptions& o) {
  CLI::App* c = app.add_subcommand(
      "actor", "An actor's partners with their temperature, heat and events");
  c->add_option("actor", o.actor, "Code or name")->required();
  c->add_option("--at", o.at, "The day (default today)");
  c->add_option("--half-life", o.half_life, "Half-life in days (default 90)");
  c->add_option("--as-of", o.as_of, "As of this log position");
  c->add_option("--format", o.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"detente: load diplomatic events and ask about them"};
  app.require_subcommand(1);
  std::string ingest_flag;
  app.add_option("--ingest", ingest_flag,
                 "Ingestion service address (DETENTE_INGEST, default " +
                     std::string(kDefaultIngest) + ")");
  auto ingest_address = [&] {
    return ResolveAddress(ingest_flag, "DETENTE_INGEST", kDefaultIngest);
  };
  std::string query_flag;
  app.add_option("--query", query_flag,
                 "Query service address (DETENTE_QUERY, default " +
                     std::string(kDefaultQuery) + ")");
  auto query_address = [&] {
    return ResolveAddress(query_flag, "DETENTE_QUERY", kDefaultQuery);
  };
  IngestOptions ingest;
  ReadOptions read;
  ExportOptions exp;
  SynthCommandOptions synth;
  CLI::App* ingest_cmd = AddIngest(app, ingest);
  CLI::App* read_cmd = AddRead(app, read);
  CLI::App* export_cmd = AddExport(app, exp);
  CLI::App* synth_cmd = AddSynth(app, synth);
  CLI::App* info_cmd =
      app.add_subcommand("info", "The log's head and counters");
  BackupOptions backup;
  CLI::App* backup_cmd = AddBackup(app, backup);
  SeriesCommandOptions temperature, group;
  TimelineCommandOptions timeline;
  MoversCommandOptions movers;
  ActorCommandOptions actor;
  std::string status_format = "table";
  CLI::App* temperature_cmd = AddTemperature(app, temperature);
  CLI::App* group_cmd = AddGroup(app, group);
  CLI::App* timeline_cmd = AddTimeline(app, timeline);
  CLI::App* movers_cmd = AddMovers(app, movers);
  CLI::App* actor_cmd = AddActor(app, actor);
  CLI::App* status_cmd = app.add_subcommand(
      "status", "How far the query service's read models are");
  status_cmd->add_option("--format", status_format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the error
    return code == 0 ? 0 : 2;      // usage errors exit 2
  }
  if (*ingest_cmd) {
    ingest.address = ingest_address();
    return RunIngest(ingest);
  }
  if (*read_cmd) {
    read.address = ingest_address();
    return RunRead(read);
  }
  if (*export_cmd) {
    exp.address = ingest_address();
    return RunExport(exp);
  }
  if (*synth_cmd) return RunSynth(synth);
  if (*info_cmd) return RunInfo(ingest_address());
  if (*backup_cmd) {
    backup.address = ingest_address();
    return RunBackup(backup);
  }
  if (*temperature_cmd) {
    temperature.address = query_address();
    return RunTemperature(temperature);
  }
  if (*group_cmd) {
    group.address = query_address();
    return RunGroup(group);
  }
  if (*timeline_cmd) {
    timeline.address = query_address();
    return RunTimeline(timeline);
  }
  if (*movers_cmd) {
    movers.address = query_address();
    return RunMovers(movers);
  }
  if (*actor_cmd) {
    actor.address = query_address();
    return RunActor(actor);
  }
  if (*status_cmd) return RunStatus(query_address(), status_format);
  return 2;
}
