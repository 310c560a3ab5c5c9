import Foundation

/// How the spellings of a name are compared: `delta1`, `delta_1`, `δ1`, `δ_1`, `\delta_1` and
/// `\delta_{1}` are one name; so are `yhat`, `y_hat`, `ŷ`, `\hat{y}` and `\hat y`.
///
/// ```
/// key(s) = s with  Greek letters → their names (δ → delta),
///                  a hat, bar or tilde accent → the suffix hat, bar, tilde (ŷ → yhat),
///                  braces and spaces dropped,
///                  an underscore before a digits-only part or an accent suffix dropped (b_1 → b1)
/// ```
/// Keys are case-sensitive (W and w are different quantities).
enum NameSpelling {
  /// The lowercase Greek letters and the capitals that are not Latin look-alikes, by LaTeX name.
  static let greekLetters: [(name: String, letter: Character)] = [
    ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ε"), ("varepsilon", "ε"),
    ("zeta", "ζ"), ("eta", "η"), ("theta", "θ"), ("vartheta", "ϑ"), ("iota", "ι"), ("kappa", "κ"),
    ("lambda", "λ"), ("mu", "μ"), ("nu", "ν"), ("xi", "ξ"), ("pi", "π"), ("rho", "ρ"), ("sigma", "σ"),
    ("varsigma", "ς"), ("tau", "τ"), ("upsilon", "υ"), ("phi", "φ"), ("varphi", "ϕ"), ("chi", "χ"),
    ("psi", "ψ"), ("omega", "ω"), ("Gamma", "Γ"), ("Delta", "Δ"), ("Theta", "Θ"), ("Lambda", "Λ"),
    ("Xi", "Ξ"), ("Pi", "Π"), ("Phi", "Φ"), ("Psi", "Ψ"), ("Omega", "Ω"),
  ]

  /// LaTeX name → letter (`delta` → δ).
  static let letterByName: [String: Character] = Dictionary(greekLetters.map { ($0.name, $0.letter) }, uniquingKeysWith: { a, _ in a })

  /// Letter → canonical name (ε and ϵ → epsilon, ϑ → theta, ς → sigma, ϕ → phi).
  static let nameByLetter: [Character: String] = {
    var d: [Character: String] = [:]
    for (name, letter) in greekLetters where d[letter] == nil { d[letter] = name.hasPrefix("var") ? String(name.dropFirst(3)) : name }
    d["ϵ"] = "epsilon"
    d["ϑ"] = "theta"
    d["ς"] = "sigma"
    d["ϕ"] = "phi"
    return d
  }()

  /// The comparison key of a spelling (see the type's documentation).
  static func key(_ spelled: String) -> String {
    var out = ""
    // ASCII needs no decomposition (the slow part): only braces, spaces and backslashes go.
    let scalars = spelled.utf8.allSatisfy { $0 < 128 } ? spelled.unicodeScalars : spelled.decomposedStringWithCanonicalMapping.unicodeScalars
    for scalar in scalars {
      switch scalar.value {
      case 0x0302, 0x0311: out += "hat"
      case 0x0304, 0x0305: out += "bar"
      case 0x0303: out += "tilde"
      case 0x20D7, 0x20D1, 0x20D6: break  // combining arrows: \vec{h} is h
      case 0x7B, 0x7D, 0x20, 0x5C: break  // { } space backslash
      default:
        if let name = nameByLetter[Character(scalar)] { out += name } else { out.unicodeScalars.append(scalar) }
      }
    }
    let parts = out.split(separator: "_", omittingEmptySubsequences: false)
    guard parts.count > 1 else { return out }
    var key = String(parts[0])
    for part in parts.dropFirst() {
      let p = String(part)
      let joins = (!p.isEmpty && p.allSatisfy(\.isNumber)) || ["hat", "bar", "tilde"].contains(p)
      key += joins ? p : "_" + p
    }
    return key
  }

  /// Levenshtein distance over characters, for "did you mean …?".
  static func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
      current[0] = i
      for j in 1...y.count {
        let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
        current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
      }
      swap(&previous, &current)
    }
    return previous[y.count]
  }

  /// The candidate closest to `spelled` (by edit distance, then by order), if it is close enough
  /// to be a plausible slip: the same letters in another case for names of one or two characters
  /// (`u` → `U`; any other one-letter name is as close as every other), otherwise at most a third
  /// of the length in edits (at least 1). Candidates are compared both as written and by key,
  /// so `\delta_3` finds `delta2`.
  static func suggestion(for spelled: String, among candidates: [String]) -> String? {
    let limit = spelled.count <= 2 ? 0 : max(1, (spelled.count + 1) / 3)
    var best: (distance: Int, name: String)?
    let k = key(spelled)
    for c in candidates where c != spelled {
      var d = min(editDistance(spelled, c), editDistance(k, key(c)))
      if spelled.lowercased() == c.lowercased() { d = 0 }
      if d <= limit, best == nil || d < best!.distance { best = (d, c) }
    }
    return best?.name
  }
}
