// detente: the command line client of the Detente services.
#include <CLI/CLI.hpp>

#include "tools/cli/client.h"
#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  using namespace detente::cli;
  CLI::App app{"detente: load diplomatic events and ask about them"};
  app.require_subcommand(1);
  std::string ingest_flag;
  app.add_option("--ingest", ingest_flag,
                 "Ingestion service address (DETENTE_INGEST, default " +
                     std::string(kDefaultIngest) + ")");
  auto ingest_address = [&] {
    return ResolveAddress(ingest_flag, "DETENTE_INGEST", kDefaultIngest);
  };

  IngestOptions ingest;
  CLI::App* ingest_cmd =
      app.add_subcommand("ingest", "Load JSONL files (one detente.v1.Event per line)");
  ingest_cmd->add_option("files", ingest.files, "Files, '-' for stdin")
      ->required();
  ingest_cmd->add_option("--batch", ingest.batch, "Events per batch, 1..10000")
      ->capture_default_str();
  ingest_cmd->add_flag("--strict", ingest.strict,
                       "Stop at the first bad row; nothing of its batch is written");

  ReadOptions read;
  CLI::App* read_cmd = app.add_subcommand("read", "Read the log back");
  read_cmd->add_option("--pair", read.pair, "Only this pair, e.g. KOR-JPN");
  read_cmd->add_option("--from", read.from, "First position (inclusive)");
  read_cmd->add_option("--to", read.to, "Last position (inclusive)");
  read_cmd->add_option("--limit", read.limit, "At most this many entries");
  read_cmd->add_flag("--backward", read.backward, "Newest first");
  read_cmd->add_flag("--by-date", read.by_date, "Sort by event date");
  read_cmd->add_option("--format", read.format, "table or jsonl")
      ->check(CLI::IsMember({"table", "jsonl"}))
      ->capture_default_str();

  CLI::App* info_cmd = app.add_subcommand("info", "The log's head and counters");

  CLI11_PARSE(app, argc, argv);
  if (*ingest_cmd) {
    ingest.address = ingest_address();
    return RunIngest(ingest);
  }
  if (*read_cmd) {
    read.address = ingest_address();
    return RunRead(read);
  }
  if (*info_cmd) return RunInfo(ingest_address());
  return 2;
}
