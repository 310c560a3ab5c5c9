import Foundation
import Jacobians
import Testing
import TestSupport

@testable import Grader

/// A seeded mutation loop over the four formats: valid files written by `ArrayFileWriter` are
/// damaged byte by byte, in their length and offset fields and in their text, then read. No
/// mutant may crash, and none may yield more than the limits allow. `Scripts/fuzz-arrays.sh`
/// runs the same readers under libFuzzer for millions of inputs.
@Suite("Array reader mutation fuzzing")
struct ArrayMutationFuzzTests {
  static let limits = ArrayReadLimits(largestItemEntries: 64, itemCount: 4)

  struct Seed: Sendable {
    var kind: ArraySubmissionReader.FileKind
    var file: String
    var bytes: [UInt8]
  }

  /// Valid encodings of a few answers in every format, as `ArrayFileWriter` writes them.
  static let seeds: [Seed] = {
    var rng = SplitMix64(seed: 0xA11A_F0E5)
    let answers: [[String: Tensor]] = [
      ["W_h": Tensor(shape: [5, 5], scalars: (0..<25).map { _ in rng.normal() }),
       "b_1": Tensor(shape: [5], scalars: (0..<5).map { _ in rng.normal() }),
       "counts": Tensor(shape: [3], scalars: [1, 2, 3], dtype: .int64)],
      ["E": Tensor(shape: [2, 3, 2], scalars: (0..<12).map { _ in rng.normal() }),
       "loss": Tensor(scalar: .nan), "empty": Tensor(shape: [0, 3], scalars: [])],
    ]
    let folder = try! ArrayFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var seeds: [Seed] = []
    for (index, arrays) in answers.enumerated() {
      let files: [(String, ArraySubmissionReader.FileKind, NpzFormat.Compression)] = [
        ("a\(index).npz", .npz, .stored), ("c\(index).npz", .npz, .deflated), ("a\(index).json", .json, .stored),
        ("a\(index).safetensors", .safetensors, .stored),
      ]
      for (name, kind, compression) in files {
        let url = folder.appendingPathComponent(name)
        try! ArrayFileWriter.write(arrays, to: url, npzCompression: compression)
        seeds.append(Seed(kind: kind, file: name, bytes: [UInt8](try! Data(contentsOf: url))))
      }
      for (item, tensor) in arrays.sorted(by: { $0.key < $1.key }) {
        let url = folder.appendingPathComponent("\(item).npy")
        try! ArrayFileWriter.write([item: tensor], to: url)
        seeds.append(Seed(kind: .npy, file: "\(item).npy", bytes: [UInt8](try! Data(contentsOf: url))))
      }
    }
    return seeds
  }()

  /// Integers that break length and offset fields: 0, ±1, powers of two and their neighbours,
  /// the largest signed and unsigned values of each width.
  static let interesting: [UInt64] = [
    0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE,
    0xFFFF_FFFF, 0x1_0000_0000, 1 << 40, UInt64(Int.max) - 15, UInt64(Int.max) - 7, UInt64(Int.max), 1 << 63, UInt64.max - 1, .max,
  ]

  static let tokens: [String] = [
    "[", "]", "(", ")", "{", "}", ",", ":", "\"", "'", "-", "-1", "0", "1e999", "NaN", "-Infinity", "99999999999999999999",
    "4294967296", "9223372036854775807", "'shape': ", "(4294967296, 4294967296)", "\"shape\":[", "\"data_offsets\":[",
    "True", "None", "\\u0000", "\u{FEFF}", "\n",
  ]

  /// Offsets of the fields a reader trusts: ZIP signatures plus their size, offset and length
  /// fields, the `.npy` length field, the safetensors header size, and every digit.
  static func fieldOffsets(_ bytes: [UInt8]) -> [Int] {
    var offsets = [0, 6, 8]
    // ZIP signatures "PK" 3 4, 1 2, 5 6: local header, central entry, end record.
    let fields: [UInt8: [Int]] = [
      0x03: [6, 8, 14, 18, 22, 26, 28],
      0x01: [8, 10, 16, 20, 24, 28, 30, 32, 42, 46],
      0x05: [8, 10, 12, 16, 20],
    ]
    var digits = 0
    for i in bytes.indices {
      if bytes[i] == 0x50, i + 3 < bytes.count, bytes[i + 1] == 0x4B, bytes[i + 3] == bytes[i + 2] + 1, let found = fields[bytes[i + 2]] {
        offsets += found.map { i + $0 }
      } else if bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") && digits < 256 {
        offsets.append(i)
        digits += 1
      }
    }
    return offsets.filter { $0 < bytes.count }
  }

  static func mutate(_ input: [UInt8], _ rng: inout SplitMix64, donors: [Seed]) -> [UInt8] {
    var bytes = input
    for _ in 0...(rng.int(below: 4)) {
      let position = bytes.isEmpty ? 0 : rng.int(below: bytes.count)
      switch rng.int(below: 9) {
      case 0:
        if !bytes.isEmpty { bytes[position] ^= UInt8(1) << UInt8(rng.int(below: 8)) }
      case 1:
        if !bytes.isEmpty { bytes[position] = UInt8(truncatingIfNeeded: rng.next()) }
      case 2, 3:
        // An interesting integer at a field offset, little- or big-endian, 1 to 8 bytes wide.
        let fields = fieldOffsets(bytes)
        guard !fields.isEmpty else { break }
        let at = fields[rng.int(below: fields.count)]
        let width = [1, 2, 4, 8][rng.int(below: 4)]
        var value = interesting[rng.int(below: interesting.count)]
        if rng.int(below: 4) == 0 { value = value &+ UInt64(rng.int(below: 5)) &- 2 }
        let bigEndian = rng.int(below: 5) == 0
        for k in 0..<width where at + k < bytes.count {
          let shift = UInt64(8 * (bigEndian ? width - 1 - k : k))
          bytes[at + k] = UInt8(truncatingIfNeeded: value >> shift)
        }
      case 4:
        bytes = Array(bytes.prefix(rng.int(below: bytes.count + 1)))
      case 5:
        let length = min(bytes.count - position, 1 + rng.int(below: 16))
        if length > 0 { bytes.removeSubrange(position..<(position + length)) }
      case 6:
        let token = Array(tokens[rng.int(below: tokens.count)].utf8)
        let repeats = rng.int(below: 8) == 0 ? 1 + rng.int(below: 200) : 1
        bytes.insert(contentsOf: (0..<repeats).flatMap { _ in token }, at: min(position, bytes.count))
      case 7:
        // Copy a run of the file over another place in it (duplicated headers and entries).
        guard bytes.count > 2 else { break }
        let from = rng.int(below: bytes.count)
        let length = min(bytes.count - from, 1 + rng.int(below: 64))
        let chunk = Array(bytes[from..<(from + length)])
        bytes.insert(contentsOf: chunk, at: position)
      default:
        // Splice in the tail of another valid file.
        let donor = donors[rng.int(below: donors.count)].bytes
        let cut = rng.int(below: donor.count + 1)
        bytes = Array(bytes.prefix(position)) + donor[cut...]
      }
    }
    return bytes
  }

  @Test("30 000 mutants over the four formats: no crash, nothing beyond the limits", arguments: randomSeeds)
  func mutants(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var refusedFiles = 0
    var tensors = 0
    for _ in 0..<1_500 {
      let original = Self.seeds[rng.int(below: Self.seeds.count)]
      let bytes = Self.mutate(original.bytes, &rng, donors: Self.seeds)
      var budget = ArrayReadBudget(Self.limits)
      let stem = String(original.file.split(separator: ".")[0])
      switch ArraySubmissionReader.read(Data(bytes), kind: original.kind, file: original.file, stem: stem, budget: &budget) {
      case .failure(let error):
        refusedFiles += 1
        #expect(error.description.contains(original.file), "\(error.description)")
      case .success(let collection):
        var total = 0
        for item in collection.items {
          switch item.entry {
          case .tensor(let t):
            tensors += 1
            total += t.scalars.count
            #expect(t.scalars.count == t.shape.reduce(1, *))
            #expect(t.scalars.count <= Self.limits.maximumEntriesPerArray)
          case .unreadable(let reason):
            #expect(!reason.isEmpty)
          }
        }
        #expect(total <= Self.limits.maximumTotalEntries)
        #expect(total == budget.entries, "the budget was charged for exactly the tensors read")
      }
      #expect(budget.memberBytes <= Self.limits.maximumInflatedBytes)
    }
    // The mutants exercise both paths: some files are refused whole, some tensors still read.
    #expect(refusedFiles > 0)
    #expect(tensors > 0)
  }
}
