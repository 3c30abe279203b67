/// A regex made only of literal characters, escaped metacharacters (`\.`) and `\d`, each optionally followed by
/// `+`: the whole syntax of every published and preset `pattern_dict` (`model\.layers\.\d+`, `lm_head`).
///
/// Such a pattern is matched here, in linear time, instead of through `NSRegularExpression`: the first ICU
/// regex of a process costs about a millisecond of set-up, paid on every `compress --format dfloat11` and
/// `verify` before any work can start in parallel. Within this syntax Python's `re.fullmatch` and ICU agree
/// exactly: code points compared as they are, `\d` a Unicode decimal digit (general category Nd), `+` one or
/// more. `init` returns nil for anything else, which `PatternDictionary` hands to ICU.
struct LiteralDigitPattern: Sendable {
    private enum Atom: Sendable {
        case scalar(Unicode.Scalar)
        case digit

        func matches(_ s: Unicode.Scalar) -> Bool {
            switch self {
            case .scalar(let c): return s == c
            case .digit: return s.properties.generalCategory == .decimalNumber
            }
        }
    }

    private let atoms: [(atom: Atom, repeats: Bool)]

    /// Characters with a meaning in a regex; escaped, each stands for itself.
    private static let metacharacters = Set(#".^$*+?()[]{}|\"#.unicodeScalars)

    /// The pattern, or nil when it uses anything beyond literals, escaped metacharacters, `\d` and `+`.
    init?(_ pattern: String) {
        var atoms: [(atom: Atom, repeats: Bool)] = []
        var scalars = pattern.unicodeScalars.makeIterator()
        while let s = scalars.next() {
            if s == "+" {
                guard let last = atoms.last, !last.repeats else { return nil }   // `++` is possessive in ICU
                atoms[atoms.count - 1].repeats = true
            } else if s == "\\" {
                guard let escaped = scalars.next() else { return nil }
                if escaped == "d" {
                    atoms.append((.digit, false))
                } else if Self.metacharacters.contains(escaped) {
                    atoms.append((.scalar(escaped), false))
                } else {
                    return nil
                }
            } else if Self.metacharacters.contains(s) {
                return nil
            } else {
                atoms.append((.scalar(s), false))
            }
        }
        self.atoms = atoms
    }

    /// Whether the whole of `name` matches (Python `re.fullmatch`).
    func fullMatch(_ name: String) -> Bool {
        // The set of atoms the match may be at: state i means atoms 0..<i are matched; a repeating atom that
        // just matched may also match again (state i stays).
        var states = [Bool](repeating: false, count: atoms.count + 1)
        var next = states
        states[0] = true
        for s in name.unicodeScalars {
            for i in next.indices { next[i] = false }
            var any = false
            for i in 0..<atoms.count where states[i] && atoms[i].atom.matches(s) {
                next[i + 1] = true
                if atoms[i].repeats { next[i] = true }
                any = true
            }
            if !any { return false }
            swap(&states, &next)
        }
        return states[atoms.count]
    }
}
