import JSON
import DF11TestSupport
import Foundation
import Safetensors
import XCTest

/// The command line as zstd, xz and Hugging Face users type it (issue #14), run through the built binary.
final class CommandLineHabitsTests: XCTestCase {
    override func setUpWithError() throws {
        try requireBuiltBinary()
    }

    let shard = fixture("tiny-llama/model-00001-of-00002.safetensors")

    private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    private func json(_ line: String) throws -> JSONValue { try JSONParser().parse(Array(line.utf8)) }

    /// The last non-empty line of standard error (where a JSON report goes when standard output carries data).
    private func lastLine(_ stderr: String) -> String {
        stderr.split(separator: "\n").last.map(String.init) ?? ""
    }

    // MARK: 1. --json with -o - keeps the stream byte-exact

    func testJSONWithStandardOutputGoesToStandardErrorAndTheStreamStaysExact() throws {
        let plain = try runDF11(["compress", shard, "-o", "-", "--quiet", "--threads", "1"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let withJSON = try runDF11(["compress", shard, "-o", "-", "--json", "--threads", "1"])
        XCTAssertEqual(withJSON.status, 0, withJSON.stderr)
        XCTAssertEqual(withJSON.stdout, plain.stdout, "the JSON report must not be mixed into the container")
        XCTAssertEqual(try json(lastLine(withJSON.stderr))["schema"]?.stringValue, "df11.compress/1")

        let restored = try runDF11(["decompress", "-", "-o", "-", "--json"], input: withJSON.stdout)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(restored.stdout, try XCTUnwrap(contents(shard)), "byte-exact safetensors on standard output")
        XCTAssertEqual(try json(lastLine(restored.stderr))["schema"]?.stringValue, "df11.decompress/1")

        // A failure's JSON error object goes to standard error too.
        let failed = try runDF11(["decompress", "-", "-o", "-", "--json"], input: Data("garbage".utf8))
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stdout.isEmpty)
        XCTAssertEqual(try json(failed.stderr.split(separator: "\n").first.map(String.init) ?? "")["status"]?.stringValue,
                       "error")
    }

    // MARK: 2. binary output to a terminal is refused (pseudo-terminal)

    /// Runs a shell command line with standard output and error on a pseudo-terminal (util-linux `script`).
    private func runInTerminal(_ commandLine: String) throws -> (status: Int32, output: String) {
        let scriptPath = "/usr/bin/script"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: scriptPath), "no util-linux script here")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: scriptPath)
        process.arguments = ["-qefc", commandLine, "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testBinaryOutputToATerminalIsRefusedUnlessForced() throws {
        let df11 = df11Binary.path
        for command in ["\(df11) compress - < \(shard)", "\(df11) compress \(shard) -o -",
                        "\(df11) cat \(shard) model.norm.weight", "\(df11) cat \(shard) model.embed_tokens.weight"] {
            let run = try runInTerminal(command)
            XCTAssertEqual(run.status, 2, command + ": " + run.output)
            XCTAssertTrue(run.output.contains("stdout is a terminal, aborting; use -o FILE or redirect"), run.output)
            XCTAssertLessThan(run.output.utf8.count, 400, "no binary on the terminal: " + command)
        }
        // Nor is '-' read from a terminal, as zstd does not.
        let typed = try runInTerminal("\(df11) verify -")
        XCTAssertEqual(typed.status, 2, typed.output)
        XCTAssertTrue(typed.output.contains("stdin is a terminal, aborting"), typed.output)
        let forced = try runInTerminal("\(df11) cat \(shard) model.embed_tokens.weight -f")
        XCTAssertEqual(forced.status, 0, forced.output)
        XCTAssertGreaterThan(forced.output.utf8.count, 30_000)
    }

    func testProgressBarOnATerminalAndWithProgress() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bar = "\r\u{1B}[2Kcompress"
        let onTerminal = try runInTerminal("\(df11Binary.path) compress \(shard) -o \(dir)/a.df11")
        XCTAssertEqual(onTerminal.status, 0, onTerminal.output)
        XCTAssertTrue(onTerminal.output.contains(bar), onTerminal.output)
        let quiet = try runInTerminal("\(df11Binary.path) compress \(shard) -o \(dir)/b.df11 -q")
        XCTAssertFalse(quiet.output.contains(bar), quiet.output)
        // Not a terminal: no bar unless --progress.
        XCTAssertFalse(try runDF11(["compress", shard, "-o", dir + "/c.df11"]).stderr.contains(bar))
        let forced = try runDF11(["compress", shard, "-o", dir + "/d.df11", "--progress"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(forced.stderr.contains(bar), forced.stderr)
    }

    // MARK: 3. ls and cat read containers, DFloat11 models and plain safetensors

    func testListAndCatEveryFormat() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = fixture("tiny-llama")
        XCTAssertEqual(try runDF11(["compress", source, "--format", "dfloat11", "-o", dir + "/dfl", "-q"]).status, 0)
        XCTAssertEqual(try runDF11(["compress", source, "-o", dir + "/c", "-q"]).status, 0)
        let official = fixture("dfloat11-golden/llama-tied/official")
        for (path, format) in [(dir + "/dfl", "dfloat11"), (official, "dfloat11"), (source, "safetensors"),
                               (shard, "safetensors"), (dir + "/c", "container")] {
            let ls = try runDF11(["ls", path, "--json"])
            XCTAssertEqual(ls.status, 0, path + ": " + ls.stderr)
            let listing = try JSONParser().parse(Array(ls.stdout))
            XCTAssertEqual(listing["schema"]?.stringValue, "df11.ls/1.1")
            XCTAssertEqual(listing["format"]?.stringValue, format, path)
            XCTAssertGreaterThan(listing["tensors"]?.elements?.count ?? 0, 0, path)
        }
        let listed = try? JSONParser().parse(Array(try runDF11(["ls", source, "--json"]).stdout))
        let names = try XCTUnwrap(listed?["tensors"]?.elements).compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(names.count, 21)
        for name in names {
            let expected = try runDF11(["cat", source, name])
            XCTAssertEqual(expected.status, 0, expected.stderr)
            for path in [dir + "/dfl", dir + "/c"] {
                let cat = try runDF11(["cat", path, name])
                XCTAssertEqual(cat.status, 0, path + " " + name + ": " + cat.stderr)
                XCTAssertEqual(cat.stdout, expected.stdout, path + " " + name)
            }
        }
        // From the file itself.
        let file = try SafetensorsFile(path: shard)
        let tensor = try XCTUnwrap(file.header.tensor(named: "model.embed_tokens.weight"))
        var bytes = [UInt8](repeating: 0, count: Int(tensor.byteCount))
        try bytes.withUnsafeMutableBytes { try file.read(tensor: tensor, range: 0 ..< tensor.byteCount, into: $0) }
        XCTAssertEqual(Array(try runDF11(["cat", shard, "model.embed_tokens.weight"]).stdout), bytes)
        let missing = try runDF11(["cat", dir + "/dfl", "no.such.weight"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no tensor 'no.such.weight'"), missing.stderr)
    }

    // MARK: 4. copied files are checksummed

    func testVerifyChecksCopiedFiles() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/c"
        XCTAssertEqual(try runDF11(["compress", fixture("tiny-llama"), "-o", out, "-q"]).status, 0)
        let good = try runDF11(["verify", out, "--json"])
        XCTAssertEqual(good.status, 0, good.stderr)
        let report = try JSONParser().parse(Array(good.stdout))
        XCTAssertEqual(report["schema"]?.stringValue, "df11.verify/1.1")
        XCTAssertEqual(report["copied_checked"], .integer(3))

        try Data("{\"model_type\": \"llama\"}\n".utf8).write(to: URL(fileURLWithPath: out + "/config.json"))
        let changed = try runDF11(["verify", out])
        XCTAssertEqual(changed.status, 1)
        XCTAssertTrue(changed.stderr.contains("config.json"), changed.stderr)
        let changedJSON = try runDF11(["verify", out, "--json"])
        XCTAssertEqual(try JSONParser().parse(Array(changedJSON.stdout))["code"]?.stringValue, "copied-file-checksum")
        let restore = try runDF11(["decompress", out, "-o", dir + "/d"])
        XCTAssertEqual(restore.status, 1, restore.stderr)
        XCTAssertTrue(restore.stderr.contains("config.json"), restore.stderr)

        // A directory written before the checksums were recorded still verifies, and says what it could not check.
        let old = dir + "/old"
        XCTAssertEqual(try runDF11(["compress", fixture("tiny-llama"), "-o", old, "-q"]).status, 0)
        let manifestPath = old + "/df11.index.json"
        var manifest = try JSONParser().parse(Array(try XCTUnwrap(contents(manifestPath))))
        if case .object(let members) = manifest { manifest = .object(members.filter { $0.key != "copied_xxh3" }) }
        try Data(manifest.encode()).write(to: URL(fileURLWithPath: manifestPath))
        let oldVerify = try runDF11(["verify", old])
        XCTAssertEqual(oldVerify.status, 0, oldVerify.stderr)
        XCTAssertTrue(oldVerify.stderr.contains("3 copied files not checked"), oldVerify.stderr)
        let oldJSON = try JSONParser().parse(Array(try runDF11(["verify", old, "--json"]).stdout))
        XCTAssertEqual(oldJSON["copied_checked"], .null)
    }

    // MARK: 5. zstd habits

    func testZstdHabits() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/a.safetensors", b = dir + "/b.safetensors"
        try FileManager.default.copyItem(atPath: shard, toPath: a)
        try FileManager.default.copyItem(atPath: fixture("tiny-llama/model-00002-of-00002.safetensors"), toPath: b)
        // A private input, an old modification time.
        let old = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.posixPermissions: 0o600, .modificationDate: old], ofItemAtPath: a)

        // Several inputs, each to its default output; -T0 = all cores.
        let several = try runDF11(["compress", a, b, "-T0", "-q"])
        XCTAssertEqual(several.status, 0, several.stderr)
        let attributes = try FileManager.default.attributesOfItem(atPath: a + ".df11")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual((attributes[.modificationDate] as? Date)?.timeIntervalSince1970, old.timeIntervalSince1970)
        XCTAssertTrue(FileManager.default.fileExists(atPath: b + ".df11"))
        // -f replaces; without it the existing output is refused.
        XCTAssertEqual(try runDF11(["compress", a, "-q"]).status, 2)
        XCTAssertEqual(try runDF11(["compress", a, "-f", "-q", "--threads", "0", "-T", "1"]).status, 0)

        // Several inputs into -o DIR/; one file into -o DIR/; decompress likewise, keeping the mode.
        XCTAssertEqual(try runDF11(["compress", a, b, "-o", dir + "/many/", "-q"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/many/a.safetensors.df11"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/many/b.safetensors.df11"))
        XCTAssertEqual(try runDF11(["compress", a, "-o", dir + "/one/", "-q"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/one/a.safetensors.df11"))
        XCTAssertEqual(try runDF11(["decompress", dir + "/many/a.safetensors.df11", dir + "/many/b.safetensors.df11",
                                    "-o", dir + "/back/", "-q"]).status, 0)
        XCTAssertEqual(contents(dir + "/back/a.safetensors"), contents(shard))
        let restored = try FileManager.default.attributesOfItem(atPath: dir + "/back/a.safetensors")
        XCTAssertEqual((restored[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(try runDF11(["compress", a, b, "-o", "-"]).status, 2)
        // Every input is tried, each summary names its input, and the status is the worst.
        let mixed = try runDF11(["verify", a + ".df11", dir + "/no-such.df11", b + ".df11"])
        XCTAssertEqual(mixed.status, 2)
        XCTAssertTrue(mixed.stderr.contains(a + ".df11: ok: "), mixed.stderr)
        XCTAssertTrue(mixed.stderr.contains(b + ".df11: ok: "), mixed.stderr)

        // compress DIR picks DIR.df11 as decompress picks DIR back.
        let model = dir + "/model"
        try FileManager.default.copyItem(atPath: fixture("tiny-llama"), toPath: model)
        XCTAssertEqual(try runDF11(["compress", model + "/", "-q"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model + ".df11/df11.index.json"))
        try FileManager.default.removeItem(atPath: model)
        XCTAssertEqual(try runDF11(["decompress", model + ".df11/", "-q"]).status, 0)
        XCTAssertEqual(contents(model + "/config.json"), contents(fixture("tiny-llama/config.json")))

        // -o /dev/null writes through (timing a run).
        XCTAssertEqual(try runDF11(["decompress", a + ".df11", "-o", "/dev/null"]).status, 0)
        XCTAssertEqual(try runDF11(["compress", a, "-o", "/dev/null"]).status, 0)

        // -V, --version, version; -v; --progress.
        for arguments in [["-V"], ["--version"], ["version"]] {
            let version = try runDF11(arguments)
            XCTAssertEqual(version.status, 0)
            XCTAssertEqual(text(version.stdout).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count, 3,
                           "\(arguments)")
        }
        let verbose = try runDF11(["verify", dir + "/many/a.safetensors.df11", "-v"])
        XCTAssertEqual(verbose.status, 0)
        XCTAssertTrue(verbose.stderr.contains("10 tensors, 10 blocks"), verbose.stderr)
    }

    func testPrivateModelsGivePrivateDFloat11Outputs() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/model"
        try FileManager.default.copyItem(atPath: fixture("tiny-llama"), toPath: model)
        for name in try FileManager.default.contentsOfDirectory(atPath: model) {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: model + "/" + name)
        }
        XCTAssertEqual(try runDF11(["compress", model, "--format", "dfloat11", "-q"]).status, 0)
        XCTAssertEqual(try runDF11(["decompress", model + "-df11", "-q"]).status, 0)
        for output in [model + "-df11", model + "-df11-bf16"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: output) {
                let mode = try FileManager.default.attributesOfItem(atPath: output + "/" + name)[.posixPermissions]
                XCTAssertEqual((mode as? NSNumber)?.intValue, 0o600, output + "/" + name)
            }
        }
    }

    // MARK: 6. consistency

    func testEveryCommandTakesTheCommonOptionsAndPrintsAlike() throws {
        let dir = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let container = dir + "/a.df11"
        XCTAssertEqual(try runDF11(["compress", shard, "-o", container, "--threads", "1", "--quiet"]).status, 0)
        for arguments in [["ls", container], ["architectures"], ["inspect", shard], ["verify", container],
                          ["cat", container, "model.embed_tokens.weight"]] {
            let run = try runDF11(arguments + ["--threads", "1", "--json", "--quiet"])
            XCTAssertEqual(run.status, 0, "\(arguments): \(run.stderr)")
        }
        // verify's summary on standard error, like compress and decompress; standard output is for data and JSON.
        let verify = try runDF11(["verify", container])
        XCTAssertTrue(verify.stdout.isEmpty)
        XCTAssertTrue(verify.stderr.hasPrefix("ok: "), verify.stderr)

        // One percentage format; ls in aligned, human-readable columns with a total.
        let ls = text(try runDF11(["ls", container]).stdout)
        let inspect = text(try runDF11(["inspect", shard]).stdout)
        let compress = try runDF11(["compress", shard, "-o", dir + "/b.df11"]).stderr
        for output in [ls, inspect, compress] {
            XCTAssertNil(output.range(of: #"[0-9]%"#, options: .regularExpression), output)
            XCTAssertNotNil(output.range(of: #"[0-9]\.[0-9]{2} %"#, options: .regularExpression), output)
        }
        let lines = ls.split(separator: "\n")
        XCTAssertTrue(lines.last?.hasPrefix("total (10 tensors)") ?? false, ls)
        XCTAssertTrue(ls.contains("41.0 kB"), ls)
        let column = lines.map { line in line.range(of: "BF16").map { line.distance(from: line.startIndex, to: $0.lowerBound) } }
        XCTAssertEqual(Set(column.dropFirst().dropLast().compactMap { $0 }).count, 1, "aligned:\n" + ls)

        // Argument errors begin like every other error.
        let badArgument = try runDF11(["verify", "x", "--bogus"])
        XCTAssertEqual(badArgument.status, 2)
        XCTAssertTrue(badArgument.stderr.hasPrefix("df11: error: "), badArgument.stderr)

        // The same defect gives the same status through a file and through a directory.
        let truncated = dir + "/t/model.safetensors.df11"
        XCTAssertEqual(try runDF11(["compress", fixture("tiny-llama"), "-o", dir + "/t", "-q"]).status, 0)
        let whole = try XCTUnwrap(contents(dir + "/t/model-00001-of-00002.safetensors.df11"))
        try whole.prefix(whole.count - 100).write(to: URL(fileURLWithPath: dir + "/t/model-00001-of-00002.safetensors.df11"))
        _ = truncated
        let byFile = try runDF11(["ls", dir + "/t/model-00001-of-00002.safetensors.df11"])
        let byDirectory = try runDF11(["ls", dir + "/t"])
        XCTAssertEqual(byFile.status, 1, byFile.stderr)
        XCTAssertEqual(byDirectory.status, byFile.status, byDirectory.stderr)

        // An existing output has its own JSON code (exit status 2 as every could-not-run).
        for arguments in [["compress", shard, "-o", container], ["compress", fixture("tiny-llama"), "-o", dir + "/t"]] {
            let exists = try runDF11(arguments + ["--json"])
            XCTAssertEqual(exists.status, 2)
            XCTAssertEqual(try JSONParser().parse(Array(exists.stdout))["code"]?.stringValue, "output-exists",
                           "\(arguments)")
        }
    }

    // MARK: 7. man page, completions, make install

    func testManPageCompletionsAndInstall() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try runDF11(["--generate-completion-script", shell])
            XCTAssertEqual(script.status, 0)
            XCTAssertTrue(text(script.stdout).contains("compress"), shell)
        }
        let manPage = repositoryRoot + "/docs/df11.1"
        let page = try XCTUnwrap(contents(manPage).map(text), "docs/df11.1 missing: make man")
        XCTAssertTrue(page.contains("decompress"))
        // The committed page is what the current help gives (`make man` regenerates it).
        let dump = try runDF11(["--experimental-dump-help"])
        if let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile) {
            let generate = Process()
            generate.executableURL = URL(fileURLWithPath: python)
            generate.arguments = [repositoryRoot + "/tools/gen_manpage.py"]
            let input = Pipe(), output = Pipe()
            generate.standardInput = input
            generate.standardOutput = output
            try generate.run()
            input.fileHandleForWriting.write(dump.stdout)
            try input.fileHandleForWriting.close()
            let generated = text(output.fileHandleForReading.readDataToEndOfFile())
            generate.waitUntilExit()
            XCTAssertEqual(generated, page, "docs/df11.1 is out of date: run make man")
        }

        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/make"), "no make")
        let prefix = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/make")
        make.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        make.arguments = ["-s", "install", "PREFIX=" + prefix, "DF11_BIN=" + df11Binary.path]
        make.standardOutput = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        XCTAssertEqual(make.terminationStatus, 0)
        for path in ["bin/df11", "share/man/man1/df11.1", "share/bash-completion/completions/df11",
                     "share/zsh/site-functions/_df11", "share/fish/vendor_completions.d/df11.fish"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + "/" + path), path)
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/man") {
            let man = Process()
            man.executableURL = URL(fileURLWithPath: "/usr/bin/man")
            man.arguments = ["-w", "df11"]
            man.environment = ["MANPATH": prefix + "/share/man", "PATH": "/usr/bin:/bin"]
            let out = Pipe()
            man.standardOutput = out
            man.standardError = FileHandle.nullDevice
            try man.run()
            let found = text(out.fileHandleForReading.readDataToEndOfFile())
            man.waitUntilExit()
            XCTAssertEqual(man.terminationStatus, 0)
            XCTAssertTrue(found.contains(prefix), found)
        }
    }

    private func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: $0.numberOfRanges > 1 ? 1 : 0), in: text).map { String(text[$0]) }
        }
    }

    /// Every flag `df11 help COMMAND` shows is in the README, and every flag the README names exists.
    func testHelpAndReadmeAgreeOnEveryFlag() throws {
        let readme = try XCTUnwrap(contents(repositoryRoot + "/README.md").map(text))
        var helpFlags = Set<String>()
        for command in ["inspect", "compress", "decompress", "verify", "ls", "cat", "architectures", "batch", "version"] {
            // The OPTIONS section: one option per line, its names first.
            let help = text(try runDF11(["help", command]).stdout).components(separatedBy: "OPTIONS:").last ?? ""
            let optionLines = help.split(separator: "\n").filter { $0.hasPrefix("  -") }.map { String($0.prefix(40)) }
            helpFlags.formUnion(matches(#"(?<![\w-])(--[a-z][a-z0-9-]+|-[a-zA-Z])\b"#, in: optionLines.joined(separator: "\n")))
        }
        helpFlags.remove("-h")
        helpFlags.remove("--help")
        for flag in helpFlags.sorted() {
            XCTAssertTrue(readme.contains(flag), "README does not mention \(flag)")
        }
        // Flags the README gives df11 (not those of `swift build` or `make` in its build section).
        let df11Lines = readme.split(separator: "\n").map(String.init).filter { !$0.contains("swift ") && !$0.contains("swift-") }
        let options = df11Lines.flatMap { matches(#"(?<![\w-])--[a-z][a-z0-9-]+"#, in: $0) }
        for flag in Set(options).sorted() where !["--help", "--generate-completion-script", "--version"].contains(flag) {
            XCTAssertTrue(helpFlags.contains(flag), "README names \(flag), which no command's help shows")
        }
    }
}
