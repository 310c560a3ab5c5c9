import Formulas
import Jacobians
import Testing
import TestSupport

@Suite struct ShapeInferenceTests {
  /// Shapes in dimension symbols, decided before any number is computed.
  @Test(arguments: [
    ("U h[1]", "V×1"), ("h[1]^T U^T", "1×V"), ("2 U", "V×H"), ("U / T", "V×H"), ("(h[1]^T h[2]) U", "V×H"),
    ("U (h[1]^T h[2])", "V×H"), ("outer(delta1[1], h[1])", "V×H"), ("outer(h[1]^T, e[1])", "H×d"), ("diag(h[1])", "H×H"),
    ("diag(h[1]^T)", "H×H"), ("onehot(tokens[1])", "V×1"), ("softmax(b_2^T)", "1×V"), ("sigma(W_h)", "H×H"),
    ("sum_t W_e e[t]", "H×1"), (#"\sum_{t=1}^{T}\sum_{i=1}^{t} h[i-1] h[t]^T"#, "H×H"), ("E x[1]", "d×1"),
    ("x[1]^T E^T W_e^T", "1×H"), ("h[1]^T h[1]", "1×1"), ("T", "1×1"), ("3", "1×1"),
  ])
  func shapeOf(_ source: String, _ shape: String) throws {
    let f = try Formula(source, in: rnnContext())
    #expect(f.shape == SymbolicShape(parsing: shape)!, "`\(source)` has shape \(f.shape)")
    let point = RNNPoint(seed: 1).at(t: 2)
    let v = try f.evaluate(at: point)
    let sizes = ["V": 10, "H": 5, "d": 4, "1": 1]
    #expect(v.shape == Shape(sizes[f.shape.rows.description]!, sizes[f.shape.cols.description]!))
  }

  /// Steps that stay in range for every T are accepted; the range check is not too strict.
  @Test(arguments: [
    "sum_t h[t-1]", "sum_t h[t]", "sum_t z[t]", #"\sum_{t=1}^{T-1} z[t+1]"#, #"\sum_{t=0}^{T} h[t]"#,
    #"\sum_{t=1}^{T}\sum_{i=1}^{t} h[i-1]"#, #"\sum_{t=2}^{T} z[t-1]"#, "h[T]", "h[0]", "sum_t onehot(tokens[t+1])",
    #"\sum_{t=1}^{T}\sum_{i=t}^{T} z[i]"#,
  ])
  func inRangeStepsAreAccepted(_ source: String) throws {
    let f = try Formula(source, in: rnnContext())
    _ = try f.evaluate(at: RNNPoint(seed: 1).bindings)
  }

  /// Steps outside the range for every T are rejected while parsing.
  @Test(arguments: [
    ("sum_t h[t+1]", "T+1"), ("sum_t z[t-1]", "0"), (#"\sum_{t=0}^{T} z[t]"#, "0"), (#"\sum_{t=1}^{T}\sum_{i=1}^{t} h[i+1]"#, "T+1"),
    ("h[T+1]", "T+1"), ("h[-1]", "-1"), ("z[0]", "0"), ("sum_t onehot(tokens[t+2])", "T+2"),
  ])
  func outOfRangeStepsAreRejected(_ source: String, _ reaches: String) {
    let e = formulaError(source) { () throws(FormulaError) in _ = try Formula(source, in: rnnContext()) }
    #expect(e?.description.contains("asks for step \(reaches)") == true, "\(String(describing: e))")
  }
}
