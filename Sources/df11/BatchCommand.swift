import ArgumentParser
import DF11Kit
import Foundation

extension BatchOptions.Format: ExpressibleByArgument {}

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Convert a collection of checkpoints: a Hugging Face cache, a model zoo, a list; resumable and sharded.",
        discussion: """
        Inputs: checkpoint directories or .safetensors files; a Hugging Face cache (~/.cache/huggingface/hub: \
        every models--ORG--NAME at the revision refs/main names, or --revision / --all-revisions); a \
        repository id ORG/NAME, found in the cache HF_HUB_CACHE or HF_HOME names, as hf finds it; a directory \
        searched for checkpoints (--recursive); a list, one a line (--from FILE, - for standard input). Outputs \
        go under -o OUT: OUT/ORG--NAME for cache entries, the input's name (or its path under a searched \
        directory) otherwise.

        --format auto (the default) writes the published DFloat11 layout where the architecture has a preset \
        and every unit weight is BF16, df11's native container otherwise; --format dfloat11 skips, with the \
        reason, what that layout cannot hold.

        Each finished checkpoint leaves OUT/NAME.df11-batch.json: its inputs (sizes, modification times, \
        SHA-256), the options, its outputs (sizes, XXH3). A rerun skips what is complete and unchanged \
        ('unchanged'), and redoes what is unfinished, changed or made with other options; a killed batch \
        resumes where it stopped. Tasks share one output tree safely: each checkpoint is locked \
        (OUT/.df11-batch/NAME.lock) and claimed (NAME.claim: host and pid) while it is converted.

        --shard K/N takes the K-th of N shares, balanced by bytes, the same in every task; without it, a Slurm \
        array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX with --shards N \
        or DF11_SHARDS) takes its own share. See docs/BATCH.md.

        Reports: a JSON line per checkpoint (status converted, unchanged, skipped, failed; planned with \
        --dry-run) and a summary line, on standard output with --json, into --report FILE. Exit status: 0 \
        everything converted, unchanged or skipped; 1 a checkpoint was malformed or failed a check; 2 could \
        not run.

        Examples:
          df11 batch ~/.cache/huggingface/hub -o /data/df11 -j2
          df11 batch meta-llama/Llama-3.1-8B Qwen/Qwen3-8B -o out/ --verify
          df11 batch --from models.txt -o out/ --shard 3/8 --report out/report-3.jsonl
          df11 batch zoo/ -r -o out/ --dry-run
        """)

    @Argument(help: ArgumentHelp("Checkpoints, cache roots, repository ids (ORG/NAME), directories to search.",
                                 valueName: "input"))
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: "The output tree.")
    var output: String

    @Option(name: .long, help: ArgumentHelp("Also read inputs from FILE, one a line ('-': standard input).", valueName: "file"))
    var from: String?

    @Flag(name: [.short, .long], help: "Search directories that are not checkpoints for checkpoints below them.")
    var recursive = false

    @Option(name: .long, help: "Cache entries: this ref or snapshot instead of refs/main.")
    var revision: String?

    @Flag(name: .long, help: "Cache entries: every snapshot (outputs OUT/ORG--NAME@REVISION).")
    var allRevisions = false

    @Option(name: .long, help: ArgumentHelp("Only repository ids (or names) matching this shell pattern; repeatable.", valueName: "pattern"))
    var include: [String] = []

    @Option(name: .long, help: ArgumentHelp("Leave out repository ids (or names) matching this shell pattern; repeatable.", valueName: "pattern"))
    var exclude: [String] = []

    @Option(name: .long, help: "native (df11 containers), dfloat11 (the published layout), or auto.")
    var format: BatchOptions.Format = .auto

    @Option(name: .long, help: ArgumentHelp("native: fast, default or max, as compress --level.", valueName: "level"))
    var level: CompressionLevel = .default

    @Flag(name: .long, help: "dfloat11: the single-file layout.")
    var singleFile = false

    @Option(name: .long, help: ArgumentHelp("Take the K-th of N shares of the work (1 ≤ K ≤ N).", valueName: "K/N"))
    var shard: String?

    @Option(name: .long, help: ArgumentHelp("The number of shares, for JOB_COMPLETION_INDEX (default: DF11_SHARDS).", valueName: "n"))
    var shards: Int?

    @Option(name: [.short, .long], help: "Checkpoints converted at once (threads are shared among them).")
    var jobs: Int = 1

    @Option(name: .long, help: ArgumentHelp("Memory all jobs together may use (8G, 512M); default: the cgroup limit or the machine's memory.", valueName: "size"))
    var maxMemory: String?

    @Option(name: .long, help: ArgumentHelp("Write the JSON-lines report to FILE.", valueName: "file"))
    var report: String?

    @Flag(name: .long, help: "Print the plan (format, predicted size, share) and write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Decode each output after writing it and check it against the source.")
    var verify = false

    @Flag(name: [.short, .long], help: "Convert again what is complete and unchanged.")
    var force = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256") }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
        if revision != nil && allRevisions { throw ValidationError("give --revision or --all-revisions, not both") }
        if singleFile && format == .native { throw ValidationError("--single-file goes with --format dfloat11 or auto") }
    }

    func run() throws {
        let printer = Printer(common)
        var options = BatchOptions(output: output)
        let names: [String]
        let reportFile: FileHandle?
        do {
            var all = inputs
            if let from {
                let text: String
                if from == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                } else {
                    guard let data = FileManager.default.contents(atPath: from) else {
                        throw UsageError("cannot read the input list '\(from)'")
                    }
                    text = String(decoding: data, as: UTF8.self)
                }
                all += BatchDiscovery.listed(text)
            }
            if all.isEmpty { throw UsageError("give at least one input, or --from FILE") }
            names = all
            options.format = format
            options.singleFile = singleFile
            options.jobs = jobs
            options.maxMemory = try maxMemory.map(BatchMemory.parse)
            options.dryRun = dryRun
            options.verify = verify
            options.force = force
            options.shard = try shard.map(BatchShard.parse)
                ?? BatchShard.fromEnvironment(ProcessInfo.processInfo.environment, shards: shards)
            options.discovery.recursive = recursive
            options.discovery.revision = revision
            options.discovery.allRevisions = allRevisions
            options.discovery.include = include
            options.discovery.exclude = exclude
            if let report {
                guard FileManager.default.createFile(atPath: report, contents: nil),
                      let handle = FileHandle(forWritingAtPath: report) else {
                    throw UsageError("cannot write the report '\(report)'")
                }
                reportFile = handle
            } else {
                reportFile = nil
            }
        } catch {
            throw ExitCode(printer.fail(error))
        }
        let progress = BatchProgress(enabled: common.showProgress)
        let json = common.json, quiet = common.quiet, shard = options.shard
        let summary: BatchSummary
        do {
            var run = common.runOptions()
            run.parameters.level = level
            summary = try DF11.batch(names, options: options, run: run, planned: { share, all in
                progress.plan(share)
                if !quiet {
                    let which = shard.map { "shard \($0.text) (from \($0.source)): " } ?? ""
                    Console.printError("df11: batch: \(which)\(share.count) of \(all) checkpoints"
                                       + (dryRun ? " (dry run)" : ""))
                }
            }, started: { progress.start($0) }, emit: { result in
                progress.done(result)
                let line = result.json.text
                reportFile?.write(Data((line + "\n").utf8))
                if json { print(line); fflush(stdout) } else if !quiet || result.status == .failed {
                    progress.clear()
                    Console.printError(result.text)
                }
            })
        } catch {
            progress.stop()
            throw ExitCode(printer.fail(error))
        }
        progress.stop()
        let line = summary.json.text
        reportFile?.write(Data((line + "\n").utf8))
        try? reportFile?.close()
        if json { print(line) } else if !quiet { Console.printError(summary.text) }
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}
