import Foundation

/// The Swift starter of an assignment, generated from `assignment.json`: `Inputs.swift` (one
/// field per input, in the declared order, and one property per size that an input's shape
/// shows) and `Solution.swift` (one function per item, with its statement and shape, returning
/// `nil` until it is filled in).
///
/// ```
/// input of rank 0 / 1 / 2 / 3     Double, [Double], [[Double]], [[[Double]]]   (Int for int64)
/// item  of rank 0 / 1 / 2 / 3     the same types, optional: nil is "not answered"
/// size  n                         from the input of lowest rank whose shape holds n (or n+k)
/// ```
/// The grader compiles a submission with the generated `Inputs.swift`, so a student's copy never
/// changes the contract; `grade starter <assignment> --out <dir>` writes both files.
public enum SwiftStarter {
  public static let inputsFileName = "Inputs.swift"
  public static let solutionFileName = "Solution.swift"

  /// Both files, by name.
  public static func files(for assignment: Assignment) -> [(name: String, contents: String)] {
    [(inputsFileName, inputs(for: assignment)), (solutionFileName, solution(for: assignment))]
  }

  /// The Swift type of a value of `rank` (and `Int` entries when `integer`).
  static func swiftType(rank: Int, integer: Bool) -> String {
    String(repeating: "[", count: rank) + (integer ? "Int" : "Double") + String(repeating: "]", count: rank)
  }

  /// `Inputs.swift`.
  public static func inputs(for assignment: Assignment) -> String {
    var out = "// The inputs of one \(assignment.id) problem, as plain Swift arrays (0-based indices).\n"
    out += "// Generated from the assignment: the grader always compiles your code with this file.\n//\n"
    let nameWidth = assignment.inputs.map(\.name.count).max() ?? 0
    let shapes = assignment.inputs.map { symbolic($0.symbolicShape) }
    let shapeWidth = shapes.map(\.count).max() ?? 0
    for (input, shape) in zip(assignment.inputs, shapes) {
      out += "//   " + pad(input.name, nameWidth) + "  " + pad(shape, shapeWidth)
      out += input.statement.isEmpty ? "\n" : "  " + input.statement + "\n"
    }
    out += "//\n// A matrix is an array of rows: m[i][j] is row i, column j.\n\nstruct Inputs {\n"
    for input in assignment.inputs {
      out += "  let \(input.name): \(swiftType(rank: input.shape.count, integer: !input.dtype.isFloatingPoint))\n"
    }
    let sizes = sizeProperties(assignment)
    if !sizes.isEmpty { out += "\n" }
    let meanings = type(of: assignment.model).sizeMeanings
    for (name, expression, source) in sizes {
      let meaning = meanings[name].map { ": \($0)" } ?? ""
      out += "  /// \(name)\(meaning) (from the shape of `\(source)`).\n  var \(name): Int { \(expression) }\n"
    }
    return out + "}\n"
  }

  /// `Solution.swift`.
  public static func solution(for assignment: Assignment) -> String {
    var out = "// \(assignment.id): \(assignment.title)\n"
    if !assignment.description.isEmpty { out += "//\n" + comment(assignment.description, prefix: "// ") + "//\n" }
    out += """
      // Fill in each function. Return the array with the shape given in its comment (a matrix is an
      // array of rows). Leave `return nil` for an item you do not answer: it is reported as missing.
      // You may `import Foundation` (for exp, log, …) and add helper functions and types to this file.

      import Foundation

      """
    for item in assignment.items {
      let shape = item.shape.isEmpty ? "A scalar." : "Shape \(symbolic(item.symbolicShape))."
      out += "\n" + comment("\(item.statement). \(shape)", prefix: "/// ")
      out += signature(of: item) + " {\n"
      out += "  // TODO: your code here\n  return nil\n}\n"
    }
    return out
  }

  /// `func dU(_ p: Inputs) -> [[Double]]?`: the function the harness calls for `item`.
  static func signature(of item: ItemSpec) -> String {
    "func \(item.id)(_ p: Inputs) -> \(swiftType(rank: item.shape.count, integer: false))?"
  }

  /// `["d", "V"]` as `d × V`, `["T+1"]` as `T+1`.
  static func symbolic(_ shape: [String]) -> String {
    shape.isEmpty ? "scalar" : shape.joined(separator: " × ")
  }

  /// For each size an input's shape shows as an entry `n` (or `n+k`): the property's name, its
  /// expression and the input it reads. Sizes named like an input are left out.
  static func sizeProperties(_ assignment: Assignment) -> [(String, String, String)] {
    let inputNames = Set(assignment.inputs.map(\.name))
    var out: [(String, String, String)] = []
    for size in type(of: assignment.model).sizeNames where !inputNames.contains(size) && isIdentifier(size) {
      var best: (rank: Int, expression: String, source: String)?
      for input in assignment.inputs {
        for (axis, entry) in input.symbolicShape.enumerated() {
          var offset = 0
          if entry == size {
            offset = 0
          } else if entry.hasPrefix(size + "+"), let k = Int(entry.dropFirst(size.count + 1)), axis == 0 {
            offset = k
          } else {
            continue
          }
          var expression = axis == 0 ? "\(input.name).count" : input.name + String(repeating: ".first?", count: axis) + ".count ?? 0"
          if offset > 0 { expression += " - \(offset)" }
          let rank = input.shape.count + (offset > 0 ? 1 : 0)
          if best == nil || rank < best!.rank { best = (rank, expression, input.name) }
          break
        }
      }
      if let best { out.append((size, best.expression, best.source)) }
    }
    return out
  }

  static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first) else { return false }
    return name.unicodeScalars.allSatisfy { $0 == "_" || CharacterSet.alphanumerics.contains($0) } && !["in", "is", "as", "do", "if", "let", "var", "for"].contains(name)
  }

  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
  }

  /// `text` as comment lines of at most 100 columns.
  static func comment(_ text: String, prefix: String) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      if !line.isEmpty && prefix.count + line.count + 1 + word.count > 100 {
        lines.append(line)
        line = ""
      }
      line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines.map { (prefix + $0) }.joined(separator: "\n") + "\n"
  }
}
