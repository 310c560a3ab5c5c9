/// A picture of the model at a student's inputs, described as data: the HTML report draws it
/// without knowing the model.
///
/// Prose (`introduction`, `caption`, series names) is plain text in the notes' notation, with two
/// marks the report renders: `^(…)` as a superscript (`J^(t)` → J<sup>(t)</sup>) and `` `…` `` as
/// code.
public struct ReportFigure: Sendable, Equatable {
  /// The section's heading.
  public var title: String
  /// What the picture shows and how to read it.
  public var introduction: String
  public var chart: LineChart
  /// The chart's caption (the report adds "; logarithmic scale" when it draws one).
  public var caption: String

  public init(title: String, introduction: String, chart: LineChart, caption: String) {
    self.title = title
    self.introduction = introduction
    self.chart = chart
    self.caption = caption
  }

  /// Lines over a common x axis; a logarithmic y axis is chosen by the report when the values
  /// span more than a factor of 30.
  public struct LineChart: Sendable, Equatable {
    public struct Series: Sendable, Equatable {
      public var name: String
      public var points: [(x: Double, y: Double)]

      public init(name: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.points = points
      }

      public static func == (a: Series, b: Series) -> Bool {
        a.name == b.name && a.points.count == b.points.count
          && zip(a.points, b.points).allSatisfy { $0.x == $1.x && ($0.y == $1.y || ($0.y.isNaN && $1.y.isNaN)) }
      }
    }

    public var series: [Series]
    /// Tick positions and labels on the x axis.
    public var xTicks: [(Double, String)]
    public var xLabel: String
    public var yLabel: String

    public init(series: [Series], xTicks: [(Double, String)], xLabel: String, yLabel: String) {
      self.series = series
      self.xTicks = xTicks
      self.xLabel = xLabel
      self.yLabel = yLabel
    }

    public static func == (a: LineChart, b: LineChart) -> Bool {
      a.series == b.series && a.xLabel == b.xLabel && a.yLabel == b.yLabel
        && a.xTicks.map(\.0) == b.xTicks.map(\.0) && a.xTicks.map(\.1) == b.xTicks.map(\.1)
    }
  }
}

/// How the HTML report draws an item's values as a table: the student's heat map beside the
/// reference's, on one colour scale, with the model's names for the rows and columns.
///
/// ```
/// a bigram table   (V+2) × (V+2)   rows "previous token w_(n−1)", columns "next token w_n",
///                                  labels <s>, </s>, the, a, …
/// a vector         n               drawn as one row: `rowLabels` has one entry (or none)
/// ```
/// Prose (`explanation`, the axes, `valueLabel`) follows `ReportFigure`'s marks: `^(…)` as a
/// superscript, `` `…` `` as code. Labels the report cannot fit are replaced by indices.
public struct ValueHeatMaps: Sendable, Equatable {
  /// What the rows are (the first index), e.g. "previous token w_(n−1)"; empty for a vector.
  public var rowAxis: String
  /// What the columns are (the last index).
  public var columnAxis: String
  /// One name per row; empty to number the rows.
  public var rowLabels: [String]
  /// One name per column; empty to number the columns.
  public var columnLabels: [String]
  /// What an entry is, for the colour bar (e.g. "P(w_n | w_(n−1))").
  public var valueLabel: String
  /// A sentence appended to the caption: how to read the table.
  public var explanation: String?

  public init(rowAxis: String, columnAxis: String, rowLabels: [String] = [], columnLabels: [String] = [], valueLabel: String, explanation: String? = nil) {
    self.rowAxis = rowAxis
    self.columnAxis = columnAxis
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.valueLabel = valueLabel
    self.explanation = explanation
  }
}
