import Foundation
import Formulas
import Grader

/// `grade formulas <assignment>`: the quantities a formula may name in this assignment, with their
/// spellings, shapes and steps, and the shape each item's formula must have.
enum FormulasCommand {
  static let subcommand = GradeCommand.Subcommand(
    name: "formulas", abstract: "List the names and shapes an assignment's formulas may use.",
    usage: "grade formulas <assignment> [--assignments <dir>]",
    help: """
      Lists what a formula answering an item may name: every quantity of the model (its
      parameters, inputs and the intermediates of the forward pass), as written in the notes,
      in LaTeX, with its shape in the assignment's size symbols and the steps it is defined
      at; then the shape each item's formula must have. Write the formulas one per line,
      'item: formula', in answers.md (or .tex, .txt), and grade them with 'grade check'.
      Guides/Formulas.md describes the notation.

      EXAMPLE:
        grade formulas rnn-bptt
        grade check rnn-bptt answers.md
      """,
    options: GradeCommand.globalOptions, flags: [], run: run)

  static func run(_ args: Arguments) throws -> Int32 {
    try Commands.rejectExtraPositionals(args, expected: 1)
    let name = try Commands.requireAssignment(args)
    let (assignment, _) = try Commands.catalog(args).load(name)
    guard let declarations = assignment.model.formulas else {
      args.console.print("\(assignment.id) takes no formulas: its model (\(assignment.model.name)) declares no quantities for them. Submit arrays or code.")
      return GradeCommand.ExitCode.success
    }
    args.console.print(render(assignment, declarations), terminator: "")
    return GradeCommand.ExitCode.success
  }

  static func render(_ assignment: Assignment, _ declarations: FormulaDeclarations) -> String {
    let stepSymbol = declarations.stepCount
    var out = "\(assignment.id) — \(assignment.title)\n\n"
    out += "Formulas may name these quantities, in any of their spellings (delta1, δ1, \\delta_1 are one name):\n\n"
    var rows: [[String]] = [["name", "notes", "LaTeX", "shape", "steps", "what"]]
    for q in declarations.quantities {
      var shape = q.shape.description
      if case .classIndex(let classes) = q.kind { shape = "index in 0..<\(classes)" }
      if q.kind == .oneHot { shape += " one-hot" }
      let steps = q.steps.map { s in "\(s.description(stepCount: stepSymbol ?? "T"))" } ?? ""
      let names = ([q.name] + q.aliases).joined(separator: ", ")
      rows.append([names, q.symbol.text, q.symbol.latex, shape, steps, q.summary ?? ""])
    }
    out += table(rows)
    var facts: [String] = []
    if let f = declarations.activation { facts.append("f and f′ are the model's activation, \(f.name)") }
    if let s = stepSymbol {
      facts.append("\(s) is the number of steps (a number in formulas, 1/\(s)); write a quantity at step t as h[t], h^{(t)} or h_t, and sum with sum_t, Σ_t or \\sum_{t=1}^{\(s)} (any letter; t = 1…\(s))")
    }
    let sizes = assignment.model.sizes.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", ")
    facts.append("the sizes here: \(sizes)")
    out += "\n" + facts.map { "- \($0)." }.joined(separator: "\n") + "\n"

    out += "\nItems a formula may answer, and the shape it must have:\n\n"
    var items: [[String]] = [["item", "formula shape", "statement"]]
    for item in assignment.items {
      if let spec = declarations.items[item.id] {
        var shape = spec.shape.description
        if spec.acceptsEitherOrientation && !spec.shape.isScalar { shape += " (or its transpose)" }
        if let p = spec.perStep {
          shape += " at each step \(p.variable) = \(p.range.description(stepCount: stepSymbol ?? "T")) (row \(p.variable) of the item)"
        }
        if !spec.excluded.isEmpty { shape += "; without \(spec.excluded.joined(separator: ", "))" }
        items.append([item.id, shape, item.statement])
      } else {
        items.append([item.id, "no formula (below)", item.statement])
      }
    }
    out += table(items)
    let without = assignment.items.filter { declarations.items[$0.id] == nil }
    if !without.isEmpty {
      out += "\nNo formula answers " + without.map { item in
        "\(item.id): \(declarations.withoutClosedForm[item.id] ?? "the model declares none")"
      }.joined(separator: "; ") + ". Submit \(without.count == 1 ? "it" : "them") as arrays or in code.\n"
    }
    out += "\nWrite one `item: formula` per line in answers.md (or answers.tex, answers.txt), e.g.\n"
    out += "  \(assignment.items.first { declarations.items[$0.id] != nil }?.id ?? "item"): …\n"
    out += "and check it with: grade check \(assignment.id) answers.md\n"
    return out
  }

  /// Columns padded to their widest cell (the last column left ragged).
  static func table(_ rows: [[String]]) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    var widths = Array(repeating: 0, count: columns)
    for row in rows { for (k, cell) in row.enumerated() where k < columns - 1 { widths[k] = max(widths[k], cell.count) } }
    return rows.map { row in
      var line = "  " + row.enumerated().map { k, cell in k < columns - 1 ? Commands.pad(cell, widths[k]) : cell }.joined(separator: "  ")
      while line.hasSuffix(" ") { line.removeLast() }
      return line
    }.joined(separator: "\n") + "\n"
  }
}
