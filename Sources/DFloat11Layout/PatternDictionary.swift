import JSON
import Foundation
import Safetensors

/// The official `pattern_dict`: regexes over module names, each with the attribute paths whose `.weight`s form
/// one unit, in order. Read from a published `config.json` (`dfloat11_config.pattern_dict`) or given.
///
/// Matching is Python's `re.fullmatch(pattern, name)`. Patterns of literals and `\d` (all the published ones)
/// are matched by `LiteralDigitPattern`; others are compiled with `NSRegularExpression` (ICU) as
/// `\A(?:pattern)\z`. For the syntax the published dictionaries use — literals, `\.`, `\d`, `\w`, `\s`,
/// character classes, `.`, groups, `|`, `*`, `+`, `?`, `{m,n}` and their lazy forms — ICU and Python agree.
/// Differences that this type handles by refusing: Python-only group syntax `(?P<name>…)`, `(?P=name)`;
/// patterns that do not compile. Remaining known differences (not used by any published dictionary): inline
/// flags and Unicode property classes (`\p{…}` is literal text in Python, a class in ICU), POSIX classes
/// inside brackets (`[[:digit:]]`), and nested set operations in brackets (`[a-z&&[^x]]` in ICU).
public struct PatternDictionary: @unchecked Sendable {
    /// The entries in dictionary order: the regex source and its attribute paths.
    public let entries: [(pattern: String, attributes: [String])]
    private let matchers: [Matcher]

    private enum Matcher {
        case literalDigit(LiteralDigitPattern)
        case regex(NSRegularExpression)
    }

    /// A dictionary of `entries`, in order. Throws if a pattern uses Python-only syntax or does not compile.
    public init(entries: [(pattern: String, attributes: [String])]) throws {
        self.entries = entries
        matchers = try entries.map { entry in
            func refuse(_ why: String) -> DFloat11LayoutError {
                DFloat11LayoutError(unit: "", .badUnitDescription("pattern '\(entry.pattern)': \(why)"))
            }
            if let simple = LiteralDigitPattern(entry.pattern) { return .literalDigit(simple) }
            if entry.pattern.contains("(?P") { throw refuse("Python-only group syntax (?P…) is not supported") }
            do {
                return .regex(try NSRegularExpression(pattern: "\\A(?:" + entry.pattern + ")\\z"))
            } catch {
                throw refuse("not a regular expression df11 can compile (\(error))")
            }
        }
    }

    /// The dictionary of a JSON object `{regex: [attribute, …]}` (member order kept).
    public init(json: JSONValue) throws {
        func bad(_ why: String) -> DFloat11LayoutError {
            DFloat11LayoutError(unit: "", .badUnitDescription("pattern_dict: \(why)"))
        }
        guard let members = json.members else { throw bad("expected an object, found \(json.kindDescription)") }
        try self.init(entries: members.map { member in
            guard let list = member.value.elements else {
                throw bad("'\(member.key)' maps to \(member.value.kindDescription), expected a list of attribute paths")
            }
            return (member.key, try list.map { value in
                guard let text = value.stringValue else { throw bad("'\(member.key)' lists \(value.kindDescription)") }
                return text
            })
        })
    }

    /// The dictionary in a published `config.json`'s `dfloat11_config.pattern_dict`.
    public init(configJSON: JSONValue) throws {
        guard let dict = configJSON["dfloat11_config"]?["pattern_dict"] else {
            throw DFloat11LayoutError(unit: "", .badUnitDescription(
                "config.json has no dfloat11_config.pattern_dict: not a DFloat11 model"))
        }
        try self.init(json: dict)
    }

    /// Whether `name` fully matches the pattern of entry `index` (Python `re.fullmatch`).
    public func fullMatch(entry index: Int, _ name: String) -> Bool {
        switch matchers[index] {
        case .literalDigit(let pattern):
            return pattern.fullMatch(name)
        case .regex(let regex):
            let range = NSRange(name.startIndex..<name.endIndex, in: name)
            return regex.firstMatch(in: name, options: [], range: range) != nil
        }
    }

    /// The units the official compressor builds for a model whose tensors are `tensorNames`.
    ///
    /// - Modules are the dotted prefixes of the tensor names (`a.b.weight` → `a`, `a.b`); `tiedWeights` maps a
    ///   weight the model has but the checkpoint omits (e.g. `lm_head.weight`) to the tensor holding it.
    /// - Order: dictionary order, then module names in natural order (numbers compared as numbers). The
    ///   official order within a pattern is the model's registration order, which a checkpoint does not record;
    ///   it only matters for the order files are written in, not for their bytes.
    /// - A matched module with its own `.weight` and no listed attribute weights is a one-tensor unit (the
    ///   official rule for `nn.Linear` and `nn.Embedding`, whose list is ignored); otherwise the unit is
    ///   `<module>.<attribute>.weight` for each listed attribute, in list order.
    /// - Refused: a matched module with neither (the official tool crashes), some but not all listed weights
    ///   present, and nested units (one unit's module inside another's).
    public func units(tensorNames: [String], tiedWeights: [String: String] = [:]) throws -> [DFloat11Unit] {
        let stored = Set(tensorNames)
        let all = tensorNames + tiedWeights.keys.sorted().filter { !stored.contains($0) }
        let known = Set(all)
        var modules = Set<String>()
        for name in all {
            var prefix = Substring(name)
            while let dot = prefix.lastIndex(of: ".") {
                prefix = prefix[..<dot]
                modules.insert(String(prefix))
            }
        }
        let ordered = Self.naturallySorted(modules)
        var result: [DFloat11Unit] = []
        var taken = Set<String>()
        for (index, entry) in entries.enumerated() {
            for module in ordered where fullMatch(entry: index, module) && !taken.contains(module) {
                taken.insert(module)
                func refuse(_ why: String) -> DFloat11LayoutError {
                    DFloat11LayoutError(unit: module, .badUnitDescription(why))
                }
                let listed = entry.attributes.map { module + "." + $0 + ".weight" }
                if Set(listed).count != listed.count {
                    throw refuse("pattern '\(entry.pattern)' lists an attribute twice (\(entry.attributes)): the "
                                 + "unit would hold one weight twice, and decompress could not name its parts")
                }
                let present = listed.filter(known.contains)
                let weightNames: [String]
                if !listed.isEmpty && present.count == listed.count {
                    weightNames = listed
                } else if known.contains(module + ".weight") && present.isEmpty {
                    weightNames = [module + ".weight"]
                } else if present.isEmpty {
                    throw refuse("module matches pattern '\(entry.pattern)' but has no '.weight' and none of the "
                                 + "listed attributes \(entry.attributes) has one")
                } else {
                    throw refuse("module matches pattern '\(entry.pattern)' but lacks "
                                 + listed.filter { !known.contains($0) }.joined(separator: ", "))
                }
                let weightSet = Set(weightNames)
                let others = Self.naturallySorted(tensorNames.filter { $0.hasPrefix(module + ".") && !weightSet.contains($0) })
                result.append(DFloat11Unit(module: module,
                                           weights: weightNames.map { ($0, tiedWeights[$0] ?? $0) },
                                           otherTensors: others))
            }
        }
        for a in result {
            for b in result where a.module != b.module && b.module.hasPrefix(a.module + ".") {
                throw DFloat11LayoutError(unit: b.module, .badUnitDescription(
                    "unit '\(b.module)' lies inside unit '\(a.module)'; nested units are not supported"))
            }
        }
        return result
    }

    /// Dotted names compared part by part, all-digit parts as numbers: `layers.2` before `layers.10`.
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        NaturalKey(a) < NaturalKey(b)
    }

    /// `names` in `naturalOrder`, each split into parts once (cheaper than sorting by `naturalOrder`).
    public static func naturallySorted<S: Sequence>(_ names: S) -> [String] where S.Element == String {
        names.map { (key: NaturalKey($0), name: $0) }.sorted { $0.key < $1.key }.map(\.name)
    }

    /// A dotted name split into parts, all-digit parts also as numbers.
    private struct NaturalKey: Comparable {
        let parts: [(text: Substring, number: Int?)]

        init(_ name: String) {
            parts = name.split(separator: ".", omittingEmptySubsequences: false).map { ($0, Int($0)) }
        }

        static func < (a: NaturalKey, b: NaturalKey) -> Bool {
            for (p, q) in zip(a.parts, b.parts) where p.text != q.text {
                if let m = p.number, let n = q.number, m != n { return m < n }
                return p.text.utf8.lexicographicallyPrecedes(q.text.utf8)
            }
            return a.parts.count < b.parts.count
        }

        static func == (a: NaturalKey, b: NaturalKey) -> Bool { !(a < b) && !(b < a) }
    }
}
