import Foundation
import Grader
import Jacobians
import Testing

/// The fixtures written by `Scripts/make_array_fixtures.py` with real NumPy, and the manifest
/// of expected shapes, dtypes and values it wrote beside them.
enum ArrayFixtures {
  static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("arrays")

  static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

  static func data(_ relativePath: String) throws -> Data { try Data(contentsOf: url(relativePath)) }

  struct Expected: Decodable, Sendable {
    var shape: [Int]
    var dtype: String
    var values: [ExpectedNumber]
    var recipe: String
  }

  /// A manifest value: a number, or "nan", "inf", "-inf" (the manifest is standard JSON).
  struct ExpectedNumber: Decodable, Sendable {
    var value: Double
    init(from decoder: Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let x = try? container.decode(Double.self) {
        value = x
      } else {
        switch try container.decode(String.self) {
        case "nan": value = .nan
        case "inf": value = .infinity
        case "-inf": value = -.infinity
        case let other: throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown number \(other)")
        }
      }
    }
  }

  struct ItemErrors: Decodable, Sendable {
    var readable: [String: Expected]
    var unreadable: [String]
  }

  struct Manifest: Decodable, Sendable {
    var generator: String
    var numpy_version: String
    var valid: [String: [String: Expected]]
    var item_errors: [String: ItemErrors]
    var submission_errors: [String]
  }

  static let manifest: Manifest = {
    let data = try! Data(contentsOf: url("manifest.json"))
    return try! JSONDecoder().decode(Manifest.self, from: data)
  }()

  /// Valid fixture files whose path starts with `prefix`, sorted.
  static func validFiles(under prefix: String) -> [String] {
    manifest.valid.keys.filter { $0.hasPrefix(prefix) }.sorted()
  }

  /// Checks `tensor` against the manifest entry: shape, dtype and every value exactly
  /// (NaN matches NaN only).
  static func expect(_ tensor: Tensor?, matches expected: Expected, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let tensor else {
      Issue.record("\(label): no tensor (recipe \(expected.recipe))", sourceLocation: sourceLocation)
      return
    }
    #expect(tensor.shape == expected.shape, "\(label): shape (\(expected.recipe))", sourceLocation: sourceLocation)
    #expect(tensor.dtype.rawValue == expected.dtype, "\(label): dtype (\(expected.recipe))", sourceLocation: sourceLocation)
    let values = expected.values.map(\.value)
    #expect(tensor.scalars.count == values.count, "\(label): entry count", sourceLocation: sourceLocation)
    for (i, (got, want)) in zip(tensor.scalars, values).enumerated() {
      let same = got.isNaN ? want.isNaN : got == want
      if !same {
        Issue.record("\(label): entry \(i) is \(got), expected \(want) (\(expected.recipe))", sourceLocation: sourceLocation)
        return
      }
    }
  }

  /// A tensor with seeded random entries: floats from a normal distribution with a few
  /// non-finite values mixed in, or integers in ±10⁶.
  static func randomTensor(_ rng: inout SplitMix64, dtype: DType) -> Tensor {
    let rank = rng.int(below: 4)
    let shape = (0..<rank).map { _ in rng.int(below: 5) + (rank == 1 ? 0 : 1) }
    let count = shape.reduce(1, *)
    let scalars: [Double] = (0..<count).map { _ in
      if !dtype.isFloatingPoint { return Double(rng.int(below: 2_000_001) - 1_000_000) }
      switch rng.int(below: 20) {
      case 0: return .nan
      case 1: return -.infinity
      case 2: return .leastNonzeroMagnitude
      default: return rng.normal() * 1e3
      }
    }
    return Tensor(shape: shape, scalars: scalars, dtype: dtype)
  }

  /// Same shape, dtype and entries, NaN equal to NaN.
  static func identical(_ a: Tensor?, _ b: Tensor?) -> Bool {
    guard let a, let b, a.shape == b.shape, a.dtype == b.dtype, a.scalars.count == b.scalars.count else { return false }
    return zip(a.scalars, b.scalars).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 && $0.sign == $1.sign }
  }

  /// A fresh empty temporary folder.
  static func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("array-formats-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
