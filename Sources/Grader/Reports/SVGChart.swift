import Foundation

/// Inline SVG pictures for the HTML report: a heatmap of a matrix and a line chart of a few
/// series. Self-contained (no scripts, no fonts or files from elsewhere); every mark carries a
/// `<title>` with its exact numbers, which browsers show on hover.
enum SVGChart {
  // MARK: Heatmap

  /// A heatmap of `values` (row-major, `rows × cols`), coloured white (0) to dark red (`scale`).
  ///
  /// ```
  /// colour(v) = Reds(v / scale)         v ≥ 0;  NaN or ±Inf: black
  /// ```
  /// `outlined[k]` draws a dark border round entry k (an entry outside the tolerance);
  /// `tooltip(k)` is the hover text of entry k.
  static func heatmap(
    values: [Double], rows: Int, cols: Int, scale: Double, outlined: [Bool]? = nil,
    caption: String? = nil, tooltip: (Int) -> String
  ) -> String {
    let cell = Double(Swift.max(10, Swift.min(34, 320 / Swift.max(cols, 1))))
    let left = 28.0, top = caption == nil ? 16.0 : 32.0
    let width = left + cell * Double(cols) + 8
    let height = top + cell * Double(rows) + 6
    var svg = "<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">"
    if let caption { svg += "<text x=\"\(f(left))\" y=\"12\" class=\"cap\">\(XMLText.escape(caption))</text>" }
    for j in 0..<cols where cols <= 40 && (cols <= 12 || j % 5 == 0) {
      svg += "<text x=\"\(f(left + cell * (Double(j) + 0.5)))\" y=\"\(f(top - 4))\" class=\"tick\" text-anchor=\"middle\">\(j)</text>"
    }
    for i in 0..<rows where rows <= 40 && (rows <= 12 || i % 5 == 0) {
      svg += "<text x=\"\(f(left - 4))\" y=\"\(f(top + cell * (Double(i) + 0.5) + 3))\" class=\"tick\" text-anchor=\"end\">\(i)</text>"
    }
    for i in 0..<rows {
      for j in 0..<cols {
        let k = i * cols + j
        guard k < values.count else { continue }
        let v = values[k]
        let colour = v.isFinite ? reds(scale > 0 ? v / scale : 0) : "#000000"
        let stroke = outlined?[k] == true ? " stroke=\"#1a1a1a\" stroke-width=\"1.5\"" : " stroke=\"#ffffff\" stroke-width=\"0.5\""
        svg += "<rect x=\"\(f(left + cell * Double(j)))\" y=\"\(f(top + cell * Double(i)))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(colour)\"\(stroke)><title>\(XMLText.escape(tooltip(k)))</title></rect>"
      }
    }
    return svg + "</svg>"
  }

  /// The colour bar of a heatmap: 0 to `scale`, and black for NaN/±Inf when `nonFinite`.
  static func heatmapLegend(scale: Double, label: String, nonFinite: Bool, id: String) -> String {
    if !(scale > 0) {
      var svg = "<svg class=\"legend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"380\" height=\"22\" viewBox=\"0 0 380 22\" role=\"img\">"
      svg += "<text x=\"0\" y=\"14\" class=\"tick\">every finite entry equals the reference</text>"
      if nonFinite { svg += "<rect x=\"220\" y=\"4\" width=\"12\" height=\"12\" fill=\"#000\"/><text x=\"236\" y=\"14\" class=\"tick\">NaN / ±Inf</text>" }
      return svg + "</svg>"
    }
    let gradient = "reds-" + String(id.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" }.map(Character.init))
    let width = 260.0
    var svg = "<svg class=\"legend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width + 120))\" height=\"38\" viewBox=\"0 0 \(f(width + 120)) 38\" role=\"img\">"
    svg += "<defs><linearGradient id=\"\(gradient)\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">"
    for (k, stop) in redStops.enumerated() {
      svg += "<stop offset=\"\(f(Double(k) / Double(redStops.count - 1)))\" stop-color=\"\(hex(stop))\"/>"
    }
    svg += "</linearGradient></defs>"
    svg += "<rect x=\"0\" y=\"4\" width=\"\(f(width))\" height=\"12\" fill=\"url(#\(gradient))\" stroke=\"#999\" stroke-width=\"0.5\"/>"
    svg += "<text x=\"0\" y=\"30\" class=\"tick\">0</text>"
    svg += "<text x=\"\(f(width))\" y=\"30\" class=\"tick\" text-anchor=\"end\">\(XMLText.escape(number(scale)))</text>"
    svg += "<text x=\"\(f(width / 2))\" y=\"30\" class=\"tick\" text-anchor=\"middle\">\(XMLText.escape(label))</text>"
    if nonFinite {
      svg += "<rect x=\"\(f(width + 16))\" y=\"4\" width=\"12\" height=\"12\" fill=\"#000\"/><text x=\"\(f(width + 32))\" y=\"14\" class=\"tick\">NaN / ±Inf</text>"
    }
    return svg + "</svg>"
  }

  /// A small heatmap of values with names for its rows and columns (column names written upward
  /// above the columns, row names left of the rows; indices where no name is given or the names
  /// do not match the size; every 5th when there are more than 40).
  ///
  /// ```
  /// colour(v) = Blues(v / scale)       v ≥ 0
  ///             Oranges(|v| / scale)   v < 0;  NaN or ±Inf: black
  /// ```
  static func labelledHeatmap(
    values: [Double], rows: Int, cols: Int, scale: Double, rowLabels: [String], columnLabels: [String],
    caption: String?, tooltip: (Int) -> String
  ) -> String {
    let rowNames = rowLabels.count == rows ? rowLabels : (0..<rows).map(String.init)
    let colNames = columnLabels.count == cols ? columnLabels : (0..<cols).map(String.init)
    let cell = Double(Swift.max(8, Swift.min(22, 264 / Swift.max(cols, 1))))
    let charWidth = 6.2
    let left = 8 + charWidth * Double(rowNames.map(\.count).max() ?? 1)
    let top = (caption == nil ? 4.0 : 20.0) + 6 + charWidth * Double(colNames.map(\.count).max() ?? 1)
    let width = left + cell * Double(cols) + 8
    let height = top + cell * Double(rows) + 6
    var svg = "<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">"
    if let caption { svg += "<text x=\"\(f(left))\" y=\"12\" class=\"cap\">\(XMLText.escape(caption))</text>" }
    for j in 0..<cols where cols <= 40 || j % 5 == 0 {
      let x = left + cell * (Double(j) + 0.5) + 3
      svg += "<text transform=\"translate(\(f(x)) \(f(top - 4))) rotate(-90)\" class=\"tick\">\(XMLText.escape(colNames[j]))</text>"
    }
    for i in 0..<rows where rows <= 40 || i % 5 == 0 {
      svg += "<text x=\"\(f(left - 4))\" y=\"\(f(top + cell * (Double(i) + 0.5) + 3))\" class=\"tick\" text-anchor=\"end\">\(XMLText.escape(rowNames[i]))</text>"
    }
    for i in 0..<rows {
      for j in 0..<cols {
        let k = i * cols + j
        guard k < values.count else { continue }
        let v = values[k]
        let t = scale > 0 ? Swift.abs(v) / scale : 0
        let colour = !v.isFinite ? "#000000" : v < 0 ? ramp(oranges, t) : ramp(blues, t)
        svg += "<rect x=\"\(f(left + cell * Double(j)))\" y=\"\(f(top + cell * Double(i)))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(colour)\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>\(XMLText.escape(tooltip(k)))</title></rect>"
      }
    }
    return svg + "</svg>"
  }

  /// The colour bar of `labelledHeatmap`: 0 to `scale` in blues, and swatches for negative
  /// (orange) and NaN/±Inf (black) entries when there are any.
  static func valueLegend(scale: Double, label: String, negative: Bool, nonFinite: Bool, id: String) -> String {
    let gradient = "blues-" + String(id.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" }.map(Character.init))
    let width = 220.0
    var svg = "<svg class=\"legend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width + 220))\" height=\"38\" viewBox=\"0 0 \(f(width + 220)) 38\" role=\"img\">"
    svg += "<defs><linearGradient id=\"\(gradient)\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">"
    for (k, stop) in blues.enumerated() {
      svg += "<stop offset=\"\(f(Double(k) / Double(blues.count - 1)))\" stop-color=\"\(hex(stop))\"/>"
    }
    svg += "</linearGradient></defs>"
    svg += "<rect x=\"0\" y=\"4\" width=\"\(f(width))\" height=\"12\" fill=\"url(#\(gradient))\" stroke=\"#999\" stroke-width=\"0.5\"/>"
    svg += "<text x=\"0\" y=\"30\" class=\"tick\">0</text>"
    svg += "<text x=\"\(f(width))\" y=\"30\" class=\"tick\" text-anchor=\"end\">\(XMLText.escape(number(scale)))</text>"
    svg += "<text x=\"\(f(width / 2))\" y=\"30\" class=\"tick\" text-anchor=\"middle\">\(XMLText.escape(label))</text>"
    var x = width + 16
    if negative {
      svg += "<rect x=\"\(f(x))\" y=\"4\" width=\"12\" height=\"12\" fill=\"\(ramp(oranges, 0.7))\"/><text x=\"\(f(x + 16))\" y=\"14\" class=\"tick\">negative</text>"
      x += 80
    }
    if nonFinite {
      svg += "<rect x=\"\(f(x))\" y=\"4\" width=\"12\" height=\"12\" fill=\"#000\"/><text x=\"\(f(x + 16))\" y=\"14\" class=\"tick\">NaN / ±Inf</text>"
    }
    return svg + "</svg>"
  }

  /// ColorBrewer's sequential "Blues" and "Oranges", 5 stops.
  static let blues: [(Double, Double, Double)] = [(247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)]
  static let oranges: [(Double, Double, Double)] = [(255, 245, 235), (253, 208, 162), (253, 141, 60), (217, 72, 1), (127, 39, 4)]

  /// The colour at `t` ∈ [0, 1] (clamped) along `stops`, as `#rrggbb`.
  static func ramp(_ stops: [(Double, Double, Double)], _ t: Double) -> String {
    let x = Swift.min(Swift.max(t.isNaN ? 1 : t, 0), 1) * Double(stops.count - 1)
    let k = Swift.min(Int(x), stops.count - 2)
    let u = x - Double(k)
    let a = stops[k], b = stops[k + 1]
    return hex((a.0 + (b.0 - a.0) * u, a.1 + (b.1 - a.1) * u, a.2 + (b.2 - a.2) * u))
  }

  /// ColorBrewer's sequential "Reds", 5 stops.
  static let redStops: [(Double, Double, Double)] = [
    (255, 245, 240), (252, 187, 161), (251, 106, 74), (203, 24, 29), (103, 0, 13),
  ]

  /// The colour at `t` ∈ [0, 1] (clamped) along `redStops`, as `#rrggbb`.
  static func reds(_ t: Double) -> String {
    let x = Swift.min(Swift.max(t.isNaN ? 1 : t, 0), 1) * Double(redStops.count - 1)
    let k = Swift.min(Int(x), redStops.count - 2)
    let u = x - Double(k)
    let a = redStops[k], b = redStops[k + 1]
    return hex((a.0 + (b.0 - a.0) * u, a.1 + (b.1 - a.1) * u, a.2 + (b.2 - a.2) * u))
  }

  static func hex(_ c: (Double, Double, Double)) -> String {
    let (r, g, b) = (Int32(c.0.rounded()), Int32(c.1.rounded()), Int32(c.2.rounded()))
    guard (0...255).contains(r), (0...255).contains(g), (0...255).contains(b) else {
      return CFormat.string("#%02x%02x%02x", r, g, b)
    }
    // The bytes of "#%02x%02x%02x", without a formatter: a heat map has a colour per entry.
    let digits = Array("0123456789abcdef".utf8)
    let bytes: [UInt8] = [UInt8(ascii: "#")] + [r, g, b].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }
    return String(decoding: bytes, as: UTF8.self)
  }

  // MARK: Line chart

  /// One line of a line chart.
  struct Series {
    var name: String
    var colour: String
    /// (x, y) points; non-finite y are left out, y ≤ 0 on a log axis is a triangle on the bottom edge.
    var points: [(x: Double, y: Double)]
    var dashed = false
    var hollowMarkers = false
  }

  /// A line chart with markers, a legend, and a linear or logarithmic y axis.
  ///
  /// ```
  /// log axis   ticks at the powers of ten spanning the positive data
  /// linear     0 … a round number above the largest value, 5 ticks
  /// ```
  static func lineChart(series: [Series], xTicks: [(x: Double, label: String)], xLabel: String, yLabel: String, logScale: Bool, width: Double = 560, height: Double = 260) -> String {
    let left = 64.0, right = 150.0, top = 14.0, bottom = 44.0
    let plotW = width - left - right, plotH = height - top - bottom
    let xs = series.flatMap { $0.points.map(\.x) } + xTicks.map(\.x)
    let xMin = xs.min() ?? 0, xMax = Swift.max(xs.max() ?? 1, xMin + 1)
    let ys = series.flatMap { $0.points.map(\.y) }.filter { $0.isFinite && (!logScale || $0 > 0) }

    var yTicks: [Double]
    let yMap: (Double) -> Double
    if logScale {
      let lo = floor(log10(ys.min() ?? 1)), hi = Swift.max(ceil(log10(ys.max() ?? 10)), lo + 1)
      let step = Swift.max(1, ((hi - lo) / 6).rounded(.up))
      yTicks = stride(from: lo, through: hi, by: step).map { pow(10, $0) }
      yMap = { top + plotH * (1 - (log10($0) - lo) / (hi - lo)) }
    } else {
      let top0 = niceCeiling(ys.max() ?? 1)
      yTicks = (0...4).map { top0 * Double($0) / 4 }
      yMap = { top + plotH * (1 - $0 / top0) }
    }
    let xMap: (Double) -> Double = { left + plotW * ($0 - xMin) / (xMax - xMin) }

    var svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">"
    svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"#fbfbfd\" stroke=\"#c8c8d0\" stroke-width=\"0.8\"/>"
    for y in yTicks {
      let py = yMap(y)
      svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(py))\" y2=\"\(f(py))\" stroke=\"#e4e4ea\" stroke-width=\"0.8\"/>"
      svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py + 3.5))\" class=\"tick\" text-anchor=\"end\">\(XMLText.escape(logScale ? powerOfTen(y) : number(y)))</text>"
    }
    for tick in xTicks {
      let px = xMap(tick.x)
      svg += "<line x1=\"\(f(px))\" x2=\"\(f(px))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#888\"/>"
      svg += "<text x=\"\(f(px))\" y=\"\(f(top + plotH + 16))\" class=\"tick\" text-anchor=\"middle\">\(XMLText.escape(tick.label))</text>"
    }
    svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 8))\" class=\"axis\" text-anchor=\"middle\">\(XMLText.escape(xLabel))</text>"
    svg += "<text transform=\"translate(14 \(f(top + plotH / 2))) rotate(-90)\" class=\"axis\" text-anchor=\"middle\">\(XMLText.escape(yLabel))</text>"

    // On a log axis, zeros (and negative values) sit on the bottom edge as triangles.
    let floorY = top + plotH
    func py(_ y: Double) -> Double { logScale && y <= 0 ? floorY : yMap(y) }
    for (k, s) in series.enumerated() {
      let points = s.points.filter { $0.y.isFinite }
      if points.count > 1 {
        let path = points.map { "\(f(xMap($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
      }
      for p in points {
        let fill = s.hollowMarkers ? "#ffffff" : s.colour
        let tip = "<title>\(XMLText.escape("\(s.name): \(number(p.y)) at \(number(p.x))"))</title>"
        if logScale && p.y <= 0 {
          let x = xMap(p.x)
          svg += "<path d=\"M\(f(x - 5)),\(f(floorY - 8)) L\(f(x + 5)),\(f(floorY - 8)) L\(f(x)),\(f(floorY)) Z\" fill=\"\(fill)\" stroke=\"\(s.colour)\" stroke-width=\"1.5\">\(tip)</path>"
        } else {
          svg += "<circle cx=\"\(f(xMap(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"\(s.hollowMarkers ? "4.2" : "3.2")\" fill=\"\(fill)\" stroke=\"\(s.colour)\" stroke-width=\"1.5\">\(tip)</circle>"
        }
      }
      let ly = top + 8 + Double(k) * 17
      let lx = left + plotW + 14
      svg += "<line x1=\"\(f(lx))\" x2=\"\(f(lx + 22))\" y1=\"\(f(ly))\" y2=\"\(f(ly))\" stroke=\"\(s.colour)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
      svg += "<circle cx=\"\(f(lx + 11))\" cy=\"\(f(ly))\" r=\"3.2\" fill=\"\(s.hollowMarkers ? "#ffffff" : s.colour)\" stroke=\"\(s.colour)\" stroke-width=\"1.5\"/>"
      svg += "<text x=\"\(f(lx + 28))\" y=\"\(f(ly + 4))\" class=\"tick\">\(XMLText.escape(s.name))</text>"
    }
    return svg + "</svg>"
  }

  /// A round number (1, 2 or 5 times a power of ten) at or above `x`.
  static func niceCeiling(_ x: Double) -> Double {
    guard x.isFinite, x > 0 else { return 1 }
    let p = pow(10, floor(log10(x)))
    for m in [1.0, 2, 2.5, 5, 10] where m * p >= x * (1 - 1e-12) { return m * p }
    return 10 * p
  }

  /// "1e-3" style labels for log-axis ticks (1, 10 and 0.1 are written out).
  static func powerOfTen(_ x: Double) -> String {
    let e = Int(log10(x).rounded())
    switch e {
    case 0: return "1"
    case 1: return "10"
    case -1: return "0.1"
    default: return "1e\(e)"
    }
  }

  /// Sequential colours for `count` lines (dark blue to light green, ColorBrewer "YlGnBu").
  static func palette(_ count: Int) -> [String] {
    let stops: [(Double, Double, Double)] = [(8, 29, 88), (34, 94, 168), (29, 145, 192), (65, 182, 196), (127, 205, 187), (161, 218, 180)]
    return (0..<count).map { k in
      let x = count == 1 ? 0 : Double(k) / Double(count - 1) * Double(stops.count - 1)
      let i = Swift.min(Int(x), stops.count - 2), u = x - Double(i)
      let a = stops[i], b = stops[i + 1]
      return hex((a.0 + (b.0 - a.0) * u, a.1 + (b.1 - a.1) * u, a.2 + (b.2 - a.2) * u))
    }
  }

  static func number(_ x: Double) -> String { Autograder.number(x) }

  /// Coordinates with at most two decimals, trailing zeros dropped.
  static func f(_ x: Double) -> String {
    if let fast = CFormat.twoDecimalsTrimmed(x) { return fast }
    let s = CFormat.string("%.2f", x)
    var t = Substring(s)
    while t.hasSuffix("0") { t = t.dropLast() }
    if t.hasSuffix(".") { t = t.dropLast() }
    return t == "-0" ? "0" : String(t)
  }
}
