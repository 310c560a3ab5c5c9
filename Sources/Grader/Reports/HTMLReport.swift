import Foundation

/// What the HTML report draws beyond the report itself, computed from the assignment at the
/// student's inputs.
public struct HTMLReportContext: Sendable {
  /// The model's pictures at the student's inputs (`ModelReference.figures`).
  public var figures: [ReportFigure]
  /// Each item's tolerance, to outline the entries outside it in a heatmap.
  public var tolerances: [String: Tolerance]
  /// Each item's derivation at the student's inputs (`grade explain`), shown for items that do
  /// not pass.
  public var explanations: [String: Explanation]
  /// What the slices of per-step items are (`ModelReference.steps(of:)`).
  public var steps: [String: StepSlices]
  /// The items the model draws as tables, yours beside the reference's
  /// (`ModelReference.valueHeatMaps(of:inputs:)`).
  public var valueMaps: [String: ValueHeatMaps]
  /// Whether the context may carry reference values: derivations with numbers, the reference's
  /// heat map beside the student's (`valueMaps`), model figures drawn from the reference. When
  /// false, only the student's map is drawn, on a scale of the student's values alone. The one
  /// switch for the rule that withholds reference values: `make` sets it from the grader's
  /// policy (`Autograder.revealsReference`, the rubric's `feedback`); false unless told.
  public var revealReference: Bool

  public init(
    figures: [ReportFigure] = [], tolerances: [String: Tolerance] = [:], explanations: [String: Explanation] = [:],
    steps: [String: StepSlices] = [:], valueMaps: [String: ValueHeatMaps] = [:], revealReference: Bool = false
  ) {
    self.figures = figures
    self.tolerances = tolerances
    self.explanations = explanations
    self.steps = steps
    self.valueMaps = valueMaps
    self.revealReference = revealReference
  }

  /// The context of `student`'s report: the tolerances of the rubric, the derivations (with their
  /// numbers only when the reference may be shown), and the model's figures at the student's
  /// inputs. Given the `report` it is drawn for, only the derivations the page shows are worked
  /// out (those of the items that neither pass nor need review): the same page, for less.
  public static func make(for grader: Autograder, student: String, report: GradeReport? = nil) -> HTMLReportContext {
    var context = HTMLReportContext(
      tolerances: Dictionary(uniqueKeysWithValues: grader.assignment.items.map { ($0.id, grader.rubric.entry($0.id).tolerance) }),
      revealReference: grader.revealsReference)
    let inputs = grader.inputs(for: student)
    let shown = report.map { report in Set(report.items.filter { $0.status != .pass && $0.status != .review }.map(\.id)) }
    for item in grader.assignment.items {
      if shown?.contains(item.id) ?? true {
        context.explanations[item.id] = try? Explainer.explain(assignment: grader.assignment, item: item.id, student: student, values: context.revealReference)
      }
      context.steps[item.id] = grader.model.steps(of: item.id)
      context.valueMaps[item.id] = grader.model.valueHeatMaps(of: item.id, inputs: inputs)
    }
    context.figures = grader.model.figures(inputs: inputs)
    return context
  }
}

extension GradeReport {
  /// The report as one self-contained HTML page: the score, then per item its statement,
  /// status, finding and diagnosis, with pictures:
  ///
  /// ```
  /// failing matrix or vector item   heatmap of |yours − reference| per entry (entries outside
  ///                                 the tolerance outlined); a stack (T×H×H) is one per slice
  /// stack of per-step terms         ‖slice i‖_F per i, yours against the reference
  /// an item the model draws as a     heatmaps of your values and the reference's side by side,
  /// table (`valueMaps`)              labelled with the model's names (the reference's only when
  ///                                  `revealReference`)
  /// the model's figures             e.g. ‖∂J^(t)/∂h^(i)‖₂ against the distance t − i (rnn-lm)
  /// ```
  /// Inline CSS and SVG only: nothing is loaded from the network. Hidden items show only their
  /// status unless `showHidden`. Unless the report `revealsReference`, no reference value
  /// appears: heat-map entries say only whether they are outside the tolerance, per-step charts
  /// show the student's norms alone, and derivations carry formulas and shapes.
  public func htmlReport(showHidden: Bool = false, context: HTMLReportContext? = nil) -> String {
    let passed = items.filter { $0.status == .pass }.count
    let fraction = maxScore > 0 ? Swift.min(Swift.max(score / maxScore, 0), 1) : 0
    var body = ""
    // A page is tens of kilobytes: room for it at once, not by doubling.
    body.reserveCapacity(32 << 10)
    body += "<header><p class=\"kicker\">\(h(assignment)) · feedback for <strong>\(h(student))</strong></p>"
    body += "<h1>\(h(title))</h1>"
    body += "<div class=\"score\"><span class=\"big\">\(ItemResult.points(score)) / \(ItemResult.points(maxScore))</span> points · \(passed) of \(items.count) items pass"
    body += "<div class=\"bar\"><div style=\"width: \(SVGChart.f(fraction * 100))%\"></div></div></div>"
    if mode != .graded { body += "<p class=\"mode \(mode.rawValue)\"><strong>\(h(mode.banner))</strong></p>" }
    body += "</header>\n"

    body += "<table class=\"overview\"><thead><tr><th>item</th><th>status</th><th>points</th><th>statement</th></tr></thead><tbody>\n"
    for item in items {
      body += "<tr><td><a href=\"#item-\(h(item.id))\"><code>\(h(item.id))</code></a></td><td>\(badge(item))</td><td class=\"num\">\(ItemResult.points(item.points))/\(ItemResult.points(item.maxPoints))</td><td>\(h(item.statement))</td></tr>\n"
    }
    body += "</tbody></table>\n"

    for item in items { body += itemSection(item, showHidden: showHidden, context: context) }

    for figure in context?.figures ?? [] { body += figureSection(figure) }
    if !notes.isEmpty || isolation != nil {
      body += "<section class=\"notes\"><h2>Notes</h2><ul>"
      for note in notes { body += "<li>\(h(note))</li>" }
      if let isolation { body += "<li>Your code ran under: \(h(isolation))</li>" }
      body += "</ul></section>\n"
    }
    body += "<footer>\(mode == .graded ? "Graded" : "Checked") by <code>grade</code>: every item is compared with the reference and with a numeric gradient at your own inputs\(mode == .graded ? "" : "; this is not a grade").</footer>\n"

    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(h(assignment)) — \(h(student))</title>
      <style>\(Self.htmlStyle)</style>
      </head>
      <body>
      <main>
      \(body)</main>
      </body>
      </html>

      """
  }

  private func badge(_ item: ItemResult) -> String {
    "<span class=\"badge \(item.status.rawValue)\">\(item.status == .review ? "needs review" : item.status.rawValue)</span>"
  }

  private func itemSection(_ item: ItemResult, showHidden: Bool, context: HTMLReportContext?) -> String {
    let concealed = item.hidden && !showHidden
    var out = "<section class=\"item \(item.status.rawValue)\" id=\"item-\(h(item.id))\">"
    out += "<h2><code>\(h(item.id))</code> \(badge(item)) <span class=\"pts\">\(ItemResult.points(item.points))/\(ItemResult.points(item.maxPoints)) points</span></h2>"
    out += "<p class=\"statement\">\(h(item.statement)) <span class=\"shape\">(\(h(Tensor.describe(item.expectedShape))))</span></p>"
    if concealed {
      return out + "<p class=\"message\">Hidden item: its details are shown once grades are published.</p></section>\n"
    }
    out += "<p class=\"message\">\(h(item.message))</p>"
    if let formula = item.formula {
      // MathML is rendered by the browser itself: nothing is loaded.
      let where_ = formula.origin.map { " <span class=\"origin\">(\(h($0)))</span>" } ?? ""
      out += "<div class=\"formula\"><p class=\"formula-label\">Your formula\(where_):</p>"
      out += formula.mathML ?? "<pre>\(h(formula.source))</pre>"
      if formula.mathML != nil { out += "<p class=\"formula-source\">as written: <code>\(h(formula.source))</code></p>" }
      out += "</div>"
    }
    if let d = item.diagnosis {
      out += "<div class=\"diagnosis\"><p><strong>Diagnosis:</strong> \(h(d.message))</p><p><strong>Hint:</strong> \(h(d.hint))</p>"
      if d.id != Diagnoser.unknownID { out += "<p class=\"diag-id\">known mistake: \(h(d.id))</p>" }
      out += "</div>"
    }
    if let submitted = item.submitted, let expected = item.expected, submitted.count == expected.count, !submitted.isEmpty {
      if item.status == .fail && !item.expectedShape.isEmpty {
        out += differenceFigure(item, submitted: submitted, expected: expected, tolerance: context?.tolerances[item.id], steps: context?.steps[item.id])
      }
      if item.expectedShape.count == 3 {
        out += sliceNormFigure(item, submitted: submitted, expected: revealsReference ? expected : nil, diverging: item.diagnosis?.divergingSteps, steps: context?.steps[item.id])
      }
      if let context, let maps = context.valueMaps[item.id], (1...2).contains(item.expectedShape.count) {
        out += valueMapsFigure(item, submitted: submitted, expected: expected, maps: maps, revealReference: context.revealReference && revealsReference)
      }
    }
    if item.status != .pass, item.status != .review, let explanation = context?.explanations[item.id],
       revealsReference || explanation.valuesWithheld {
      let summary = explanation.valuesWithheld ? "How \(h(item.id)) is derived" : "How \(h(item.id)) is derived, with your numbers"
      out += "<details class=\"derivation\"><summary>\(summary)</summary><pre>\(h(explanation.rendered()))</pre></details>"
    }
    return out + "</section>\n"
  }

  /// Heatmaps of |yours − reference|: one for a matrix or vector, one per slice for a stack.
  private func differenceFigure(_ item: ItemResult, submitted: [Double], expected: [Double], tolerance: Tolerance?, steps: StepSlices?) -> String {
    let shape = item.expectedShape
    let difference = zip(submitted, expected).map { s, e -> Double in
      let d = Swift.abs(s - e)
      return d.isNaN ? .nan : d
    }
    let finite = difference.filter(\.isFinite)
    let scale = finite.max() ?? 0
    let nonFinite = finite.count < difference.count
    let outlined = tolerance.map { t in zip(submitted, expected).map { !t.accepts($0, expected: $1) } }
    let (slices, rows, cols): (Int, Int, Int)
    switch shape.count {
    case 1: (slices, rows, cols) = (1, 1, shape[0])
    case 2: (slices, rows, cols) = (1, shape[0], shape[1])
    default: (slices, rows, cols) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
    }
    var out = "<figure class=\"diff\"><div class=\"maps\">"
    for s in 0..<slices {
      let base = s * rows * cols
      let range = base..<(base + rows * cols)
      let caption = slices > 1 ? (steps?.symbol.map { "\($0) = \(s + 1)" } ?? "[\(s)]") : nil
      out += SVGChart.heatmap(
        values: Array(difference[range]), rows: rows, cols: cols, scale: scale,
        outlined: outlined.map { Array($0[range]) }, caption: caption
      ) { k in
        let flat = base + k
        let index = EntryComparison.multiIndex(flat, shape: shape).map(String.init).joined(separator: ", ")
        guard revealsReference else {
          let outside = outlined.map { $0[flat] ? "outside the tolerance" : "within the tolerance" } ?? ""
          return "[\(index)]  \(outside)"
        }
        return "[\(index)]  yours \(Autograder.number(submitted[flat]))  reference \(Autograder.number(expected[flat]))  |difference| \(Autograder.number(difference[flat]))"
      }
    }
    out += "</div>"
    out += SVGChart.heatmapLegend(scale: scale, label: "|yours − reference|", nonFinite: nonFinite, id: item.id)
    let failing = outlined.map { $0.filter { $0 }.count }
    var caption = "Where your <code>\(h(item.id))</code> differs from the reference: darker is further off"
    if let failing { caption += "; the \(failing) outlined \(failing == 1 ? "entry is" : "entries are") outside the tolerance" }
    caption += ". Rows are the first index\(shape.count == 1 ? " (a vector is drawn as one row)" : ""), columns the \(shape.count == 3 ? "last" : "second"). \(revealsReference ? "Hover an entry for its numbers." : "Hover an entry for its index.")"
    return out + "<figcaption>\(caption)</figcaption></figure>"
  }

  /// Your values as a heatmap beside the reference's, on one colour scale, with the model's labels
  /// (a vector is one row). Without `revealReference`, your map alone, scaled by your values.
  private func valueMapsFigure(_ item: ItemResult, submitted: [Double], expected: [Double], maps: ValueHeatMaps, revealReference: Bool) -> String {
    let shape = item.expectedShape
    let (rows, cols) = shape.count == 1 ? (1, shape[0]) : (shape[0], shape[1])
    guard rows > 0, cols > 0 else { return "" }
    let shown = revealReference ? submitted + expected : submitted
    let scale = shown.filter(\.isFinite).map { Swift.abs($0) }.max() ?? 0
    let negative = shown.contains { $0 < 0 }
    let nonFinite = shown.contains { !$0.isFinite }
    func label(_ labels: [String], _ k: Int, _ count: Int) -> String { labels.count == count ? labels[k] : String(k) }
    func map(_ values: [Double], caption: String, whose: String) -> String {
      SVGChart.labelledHeatmap(
        values: values, rows: rows, cols: cols, scale: scale, rowLabels: maps.rowLabels, columnLabels: maps.columnLabels, caption: caption
      ) { k in
        let (i, j) = (k / cols, k % cols)
        let place = shape.count == 1 ? "[\(j)] \(label(maps.columnLabels, j, cols))" : "[\(i), \(j)] \(label(maps.rowLabels, i, rows)) → \(label(maps.columnLabels, j, cols))"
        var tip = "\(place): \(whose) \(Autograder.number(values[k]))"
        if revealReference && whose == "yours" { tip += ", reference \(Autograder.number(expected[k]))" }
        return tip
      }
    }
    var out = "<figure class=\"values\"><div class=\"maps\">"
    out += map(submitted, caption: "yours", whose: "yours")
    if revealReference { out += map(expected, caption: "reference", whose: "reference") }
    out += "</div>"
    out += SVGChart.valueLegend(scale: scale, label: maps.valueLabel, negative: negative, nonFinite: nonFinite, id: item.id)
    var caption = revealReference
      ? "Your <code>\(h(item.id))</code> (left) beside the reference (right), on one colour scale: darker is larger"
      : "Your <code>\(h(item.id))</code>: darker is larger (the reference's values are not shown in this report)"
    if shape.count == 2 {
      caption += ". Rows: \(Self.notation(maps.rowAxis)); columns: \(Self.notation(maps.columnAxis))"
    } else {
      caption += ". Entries: \(Self.notation(maps.columnAxis))"
    }
    if let explanation = maps.explanation { caption += "; " + Self.notation(explanation) }
    caption += ". Hover an entry for its numbers."
    return out + "<figcaption>\(caption)</figcaption></figure>"
  }

  /// ‖slice i‖_F for i = 1…T, yours against the reference (the per-timestep terms of BPTT); yours
  /// alone when the reference is withheld (`expected` nil).
  private func sliceNormFigure(_ item: ItemResult, submitted: [Double], expected: [Double]?, diverging: [Int]?, steps: StepSlices?) -> String {
    let n = item.expectedShape[0]
    let size = item.expectedShape.dropFirst().reduce(1, *)
    guard n > 0, size > 0 else { return "" }
    func norms(_ v: [Double]) -> [Double] {
      (0..<n).map { i in (v[(i * size)..<((i + 1) * size)].reduce(0) { $0 + $1 * $1 }).squareRoot() }
    }
    let yours = norms(submitted), reference = expected.map(norms) ?? []
    let positive = (yours + reference).filter { $0.isFinite && $0 > 0 }
    let logScale = (positive.max() ?? 1) / (positive.min() ?? 1) > 30
    var series: [SVGChart.Series] = []
    if expected != nil {
      series.append(.init(name: "reference", colour: "#2b6cb0", points: reference.enumerated().map { (Double($0.offset + 1), $0.element) }, dashed: true, hollowMarkers: true))
    }
    series.append(.init(name: "yours", colour: "#d1495b", points: yours.enumerated().map { (Double($0.offset + 1), $0.element) }))
    let chart = SVGChart.lineChart(
      series: series,
      xTicks: (1...n).map { (Double($0), String($0)) },
      xLabel: steps?.chart?.xLabel ?? "slice",
      yLabel: steps?.chart?.yLabel ?? "Frobenius norm",
      logScale: logScale)
    var caption = "The size of each per-step term of <code>\(h(item.id))</code>\(expected == nil ? ", yours" : ", yours against the reference")"
    if let explanation = steps?.chart?.explanation {
      caption += ": " + Self.notation(explanation)
    }
    if logScale { caption += " (logarithmic scale; a zero is a triangle on the bottom edge)" }
    if let diverging, let first = diverging.first {
      caption += ". Going back from i = \(n), yours first differs at i = \(first)"
      if diverging.count > 1 { caption += " (and differs at i = \(diverging.dropFirst().map(String.init).joined(separator: ", ")))" }
    }
    return "<figure class=\"chart\">\(chart)<figcaption>\(caption).</figcaption></figure>"
  }

  /// A model's figure: its heading, introduction and line chart, one colour per series.
  private func figureSection(_ figure: ReportFigure) -> String {
    let colours = SVGChart.palette(figure.chart.series.count)
    let series = figure.chart.series.enumerated().map { k, s in
      SVGChart.Series(name: s.name, colour: colours[k], points: s.points.map { ($0.x, $0.y) })
    }
    let positive = figure.chart.series.flatMap { $0.points.map(\.y) }.filter { $0.isFinite && $0 > 0 }
    let logScale = (positive.max() ?? 1) / (positive.min() ?? 1) > 30
    let chart = SVGChart.lineChart(
      series: series, xTicks: figure.chart.xTicks, xLabel: figure.chart.xLabel, yLabel: figure.chart.yLabel, logScale: logScale)
    var out = "<section class=\"context\"><h2>\(Self.notation(figure.title))</h2>"
    out += "<p>\(Self.notation(figure.introduction))</p>"
    out += "<figure class=\"chart\">\(chart)<figcaption>\(Self.notation(figure.caption))\(logScale ? "; logarithmic scale" : "").</figcaption></figure></section>\n"
    return out
  }

  /// Prose in the notes' notation as HTML: escaped, `^(…)` as a superscript, `` `…` `` as code.
  static func notation(_ text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while let mark = rest.firstIndex(where: { $0 == "^" || $0 == "`" }) {
      out += XMLText.escape(String(rest[..<mark]))
      if rest[mark] == "`", let close = rest[rest.index(after: mark)...].firstIndex(of: "`") {
        out += "<code>" + XMLText.escape(String(rest[rest.index(after: mark)..<close])) + "</code>"
        rest = rest[rest.index(after: close)...]
      } else if rest[mark] == "^", rest.index(after: mark) < rest.endIndex, rest[rest.index(after: mark)] == "(",
                let close = rest[mark...].firstIndex(of: ")") {
        out += "<sup>" + XMLText.escape(String(rest[rest.index(after: mark)...close])) + "</sup>"
        rest = rest[rest.index(after: close)...]
      } else {
        out += XMLText.escape(String(rest[mark]))
        rest = rest[rest.index(after: mark)...]
      }
    }
    return out + XMLText.escape(String(rest))
  }

  private func h(_ s: String) -> String { XMLText.escape(s) }

  static let htmlStyle = """
    :root { color-scheme: light; --pass: #1f7a3f; --fail: #b42318; --error: #9a3412; --missing: #8a6d00; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #f4f5f7; color: #1d2433; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
    main { max-width: 980px; margin: 0 auto; padding: 24px 28px 40px; }
    header { background: #fff; border-radius: 10px; padding: 18px 22px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
    .kicker { margin: 0; color: #5b6475; font-size: 13px; }
    h1 { margin: 4px 0 10px; font-size: 22px; }
    h2 { font-size: 17px; margin: 0 0 6px; display: flex; align-items: center; gap: 10px; }
    .score .big { font-size: 20px; font-weight: 700; }
    .bar { height: 8px; background: #e6e8ee; border-radius: 4px; margin-top: 8px; overflow: hidden; }
    .bar div { height: 100%; background: linear-gradient(90deg, #2f855a, #48bb78); }
    table.overview { width: 100%; border-collapse: collapse; margin: 16px 0; background: #fff; border-radius: 10px; overflow: hidden; box-shadow: 0 1px 3px rgba(0,0,0,.08); font-size: 14px; }
    .overview th, .overview td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eceef2; vertical-align: top; }
    .overview th { background: #fafbfc; font-weight: 600; color: #5b6475; }
    .overview td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
    a { color: #1d4ed8; text-decoration: none; }
    code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
    .badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; color: #fff; text-transform: uppercase; letter-spacing: .03em; }
    .badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
    .badge.error { background: var(--error); } .badge.missing { background: var(--missing); }
    .badge.needs-review { background: #6b7280; }
    p.mode { margin: 10px 0 0; padding: 6px 10px; background: #fff8e6; border: 1px solid #f3d48b; border-radius: 6px; }
    section.item, section.context, section.notes { background: #fff; border-radius: 10px; padding: 14px 20px; margin: 14px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); border-left: 5px solid #cbd5e1; }
    section.item.pass { border-left-color: var(--pass); } section.item.fail { border-left-color: var(--fail); }
    section.item.error { border-left-color: var(--error); } section.item.missing { border-left-color: var(--missing); }
    .pts { margin-left: auto; font-size: 13px; color: #5b6475; font-weight: 500; }
    .statement { margin: 0 0 6px; color: #374151; }
    .shape { color: #6b7280; font-size: 13px; }
    .message { margin: 6px 0; overflow-wrap: anywhere; }
    .diagnosis { background: #fff8e6; border: 1px solid #f3d48b; border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
    .diagnosis p { margin: 2px 0; } .diag-id { color: #8a6d00; font-size: 12px; }
    .formula { background: #f8fafc; border: 1px solid #e2e8f0; border-radius: 8px; padding: 6px 12px; margin: 8px 0; overflow-x: auto; }
    .formula p { margin: 2px 0; font-size: 13px; color: #5b6475; } .formula math { font-size: 1.15em; margin: 4px 0; }
    details.derivation { margin: 10px 0 2px; } details.derivation summary { cursor: pointer; color: #1d4ed8; }
    details.derivation pre { font-size: 12px; background: #f8fafc; border: 1px solid #e2e8f0; border-radius: 6px; padding: 8px 10px; overflow-x: auto; }
    figure { margin: 10px 0 4px; }
    figure .maps { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: flex-start; }
    figcaption { color: #5b6475; font-size: 13px; margin-top: 4px; max-width: 760px; }
    svg text { font-family: "DejaVu Sans", Arial, sans-serif; fill: #374151; }
    svg .tick { font-size: 10px; } svg .axis { font-size: 12px; } svg .cap { font-size: 11px; font-weight: 600; }
    footer { color: #6b7280; font-size: 12px; margin-top: 20px; }
    """
}
