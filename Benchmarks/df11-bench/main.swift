// df11-bench: micro-benchmarks for df11's building blocks.
//
//   swift run -c release df11-bench entropy [--words N] [--repeats R] [--file PATH]...
//
// See README.md for what each benchmark measures and the recorded results.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: df11-bench entropy [--words N] [--repeats R] [--limits A-B] [--block N] [--file PATH]...
           df11-bench unit [--words N] [--repeats R] [--file PATH]... [--dfloat11 DIR]...
           df11-bench rans [--words N] [--repeats R] [--block N] [--file PATH]...
           df11-bench tans [--words N] [--repeats R] [--block N] [--file PATH]...
           df11-bench plan [--block N] --file PATH...
      --words N     words per synthetic data set (default 16777216)
      --repeats R   timed repetitions per measurement; best and median are reported (default 7)
      --limits A-B  code length limits to compare (default 10-15)
      --block N     words per block (default 1048576, the format's maximum)
      --file PATH   also measure the raw data section of a bf16 safetensors file (repeatable)
    """

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, ["entropy", "unit", "rans", "tans", "plan"].contains(command) else {
    fputs(usage + "\n", stderr)
    exit(2)
}
arguments.removeFirst()
do {
    let options = try EntropyBenchOptions.parse(arguments)
    if command == "entropy" {
        try EntropyBench(options: options).run()
    } else if command == "rans" {
        try RANSBench(options: options).run()
    } else if command == "tans" {
        try TANSBench(options: options).run()
    } else if command == "plan" {
        try PlanBench(options: options).run()
    } else {
        try UnitBench(repeats: options.repeats, words: options.words, files: options.files,
                      dfloat11: options.dfloat11).run()
    }
} catch {
    fputs("df11-bench: \(error)\n\(usage)\n", stderr)
    exit(2)
}
