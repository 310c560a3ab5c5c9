import Jacobians

/// What the grader needs from the model behind an assignment.
///
/// A task generates a student's inputs, computes the reference value of every item at those
/// inputs, and gives, per item, the functions whose central differences estimate it
/// (`NumericProbe`), so that the grader can check both the student and itself.
public protocol AssignmentTask {
  var assignment: Assignment { get }

  /// The inputs of one student (every input of `assignment.inputs`, with its shape).
  func generateInputs(using rng: inout SplitMix64) -> [String: Tensor]

  /// Every item's reference value at `inputs`, in the item's shape.
  func reference(inputs: [String: Tensor]) -> [String: Tensor]

  /// The probes whose numeric derivatives estimate `item` at `inputs` (empty when the item is not
  /// a derivative, such as a loss value).
  func numericProbes(item: String, inputs: [String: Tensor]) -> [NumericProbe]
}

public enum AssignmentTasks {
  /// The task that grades `assignment`.
  public static func task(for assignment: Assignment) -> AssignmentTask {
    switch assignment.model.reference {
    case .rnnLM: return RNNLanguageModelTask(assignment: assignment)
    case .rnnCanonical: return CanonicalRNNTask(assignment: assignment)
    case .backpropBasics: return BackpropBasicsTask(assignment: assignment)
    }
  }

  /// The items and inputs each reference knows; an assignment may use a subset of the items.
  static func known(_ reference: ModelSpec.Reference) -> (inputs: [String], items: [String], sizes: [String]) {
    switch reference {
    case .rnnLM: return (RNNLanguageModelTask.inputNames, RNNLanguageModelTask.itemNames, ["T", "V", "d", "H"])
    case .rnnCanonical: return (CanonicalRNNTask.inputNames, CanonicalRNNTask.itemNames, ["T", "V", "H"])
    case .backpropBasics: return (BackpropBasicsTask.inputNames, BackpropBasicsTask.itemNames, ["m", "n", "K", "window", "d", "N", "D", "C"])
    }
  }

  /// Checks that the assignment's inputs and items are ones its reference can compute, with the
  /// shapes the reference produces.
  static func validate(_ assignment: Assignment, file: String) throws(DataFileError) {
    let known = known(assignment.model.reference)
    for size in known.sizes where assignment.model.sizes[size] == nil {
      throw DataFileError(file: file, path: "model.sizes", problem: "missing size '\(size)' needed by reference '\(assignment.model.reference.rawValue)'")
    }
    let inputNames = Set(assignment.inputs.map(\.name))
    for name in known.inputs where !inputNames.contains(name) {
      throw DataFileError(file: file, path: "inputs", problem: "missing input '\(name)' needed by reference '\(assignment.model.reference.rawValue)'")
    }
    for input in assignment.inputs where !known.inputs.contains(input.name) {
      throw DataFileError(file: file, path: "inputs", problem: "unknown input '\(input.name)' for reference '\(assignment.model.reference.rawValue)'; it knows \(known.inputs.joined(separator: ", "))")
    }
    for item in assignment.items where !known.items.contains(item.id) {
      throw DataFileError(file: file, path: "items", problem: "unknown item '\(item.id)' for reference '\(assignment.model.reference.rawValue)'; it computes \(known.items.joined(separator: ", "))")
    }
    let task = task(for: assignment)
    var rng = SplitMix64(seed: 1)
    let inputs = task.generateInputs(using: &rng)
    for spec in assignment.inputs where inputs[spec.name]?.shape != spec.shape {
      throw DataFileError(file: file, path: "inputs", problem: "input '\(spec.name)' is declared with shape \(Tensor.describe(spec.shape)), but the model's sizes give \(Tensor.describe(inputs[spec.name]?.shape ?? []))")
    }
    let reference = task.reference(inputs: inputs)
    for item in assignment.items where reference[item.id]?.shape != item.shape {
      throw DataFileError(file: file, path: "items", problem: "item '\(item.id)' is declared with shape \(Tensor.describe(item.shape)), but the reference computes \(Tensor.describe(reference[item.id]?.shape ?? []))")
    }
  }
}

// MARK: - Conversions between the grader's tensors and the references' matrices

extension Tensor {
  /// A matrix of a 2-D tensor; a 1-D tensor of length n becomes an `n × 1` column.
  public var matrix: Matrix {
    switch shape.count {
    case 0: return Matrix(scalar: scalars[0])
    case 1: return Matrix(column: scalars)
    default: return Matrix(rows: shape[0], cols: scalars.count / Swift.max(shape[0], 1), scalars: scalars)
    }
  }

  public var ints: [Int] { scalars.map { Int($0) } }

  public var scalar: Double { scalars.first ?? .nan }

  /// A tensor of the given shape from a matrix's entries (row-major).
  public init(_ m: Matrix, shape: [Int]) {
    self.init(shape: shape, scalars: m.scalars)
  }

  /// A tensor of a matrix in its own shape; `vector: true` gives a 1-D tensor.
  public init(_ m: Matrix, vector: Bool = false) {
    self.init(shape: vector ? [m.count] : [m.rows, m.cols], scalars: m.scalars)
  }

  /// Matrices stacked along a new first axis: `[count] + shape`.
  public init(stacking ms: [Matrix], shape: [Int]) {
    self.init(shape: [ms.count] + shape, scalars: ms.flatMap(\.scalars))
  }
}

extension SplitMix64 {
  /// A tensor of normal entries with the given standard deviation.
  mutating func normalTensor(_ shape: [Int], standardDeviation: Double) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in normal(standardDeviation: standardDeviation) })
  }

  /// A tensor of uniform entries in [lower, upper).
  mutating func uniformTensor(_ shape: [Int], _ lower: Double, _ upper: Double) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in uniform(lower, upper) })
  }

  /// A token sequence of `count` indices in `0..<vocabulary` in which at least one input token
  /// (among the first `count − 1`) repeats, so that accumulation into a repeated embedding shows.
  mutating func tokens(count: Int, vocabulary: Int) -> Tensor {
    var tokens = (0..<count).map { _ in int(below: vocabulary) }
    let inputs = tokens.dropLast()
    if Set(inputs).count == inputs.count, count >= 4 {
      tokens[count - 2] = tokens[int(below: count - 3)]
    }
    return Tensor(shape: [count], scalars: tokens.map(Double.init), dtype: .int64)
  }
}
