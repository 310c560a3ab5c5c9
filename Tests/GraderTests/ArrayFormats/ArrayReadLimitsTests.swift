import Foundation
import Testing

@testable import Grader

@Suite("ArrayReadLimits")
struct ArrayReadLimitsTests {
  @Test("an assignment's limits follow the documented multiples")
  func fromAssignment() {
    // Largest item 5 × 5 (25 entries), 4 items; the products by hand:
    //   4·25 + 4096 = 4196;  4·4·25 + 16·4096 = 65936;  4·4 + 64 = 80
    //   8·4196 + 10012 = 43580;  8·65936 + 80·10012 = 1328448;  48·65936 + 2²⁰ = 4213504
    let limits = ArrayReadLimits(largestItemEntries: 25, itemCount: 4)
    #expect(limits.maximumEntriesPerArray == 4_196)
    #expect(limits.maximumTotalEntries == 65_936)
    #expect(limits.maximumArrays == 80)
    #expect(limits.maximumHeaderBytes == 10_000)
    #expect(limits.maximumNestingDepth == 64)
    #expect(limits.maximumMemberBytes == 43_580)
    #expect(limits.maximumInflatedBytes == 1_328_448)
    #expect(limits.maximumFileBytes == 4_213_504)
    #expect(limits.rationale == "the most an answer of this assignment can need")
  }

  @Test("item shapes give the largest product and the count; a scalar has one entry")
  func fromShapes() {
    #expect(ArrayReadLimits(itemShapes: [[5, 5], [5], [], [3, 4, 2]]) == ArrayReadLimits(largestItemEntries: 25, itemCount: 4))
    #expect(ArrayReadLimits(itemShapes: [[]]) == ArrayReadLimits(largestItemEntries: 1, itemCount: 1))
    #expect(ArrayReadLimits(itemShapes: []) == ArrayReadLimits(largestItemEntries: 1, itemCount: 0))
  }

  @Test("huge assignments saturate at Int.max instead of overflowing")
  func saturates() {
    let limits = ArrayReadLimits(largestItemEntries: .max, itemCount: .max)
    #expect(limits.maximumEntriesPerArray == .max)
    #expect(limits.maximumTotalEntries == .max)
    #expect(limits.maximumFileBytes == .max)
    #expect(ArrayReadLimits(itemShapes: [[1 << 40, 1 << 40]]).maximumEntriesPerArray == .max)
    let negative = ArrayReadLimits(largestItemEntries: -5, itemCount: -1)
    #expect(negative.maximumEntriesPerArray == 4_096)
    #expect(negative.maximumArrays == 64)
  }

  @Test("the default bounds readers without an assignment")
  func defaults() {
    let limits = ArrayReadLimits.default
    #expect(limits.maximumEntriesPerArray == 4_194_304)
    #expect(limits.maximumTotalEntries == 8_388_608)
    #expect(limits.maximumMemberBytes == 8 * 4_194_304 + 10_012)
    #expect(limits.maximumFileBytes == 64 << 20)
  }

  @Test("entry counts are formed without overflow and checked before anything is charged")
  func budget() throws {
    var budget = ArrayReadBudget(ArrayReadLimits(largestItemEntries: 25, itemCount: 4))
    #expect(try budget.count(of: []) == 1)
    #expect(try budget.count(of: [0, 1 << 40]) == 0)
    #expect(throws: ArrayLimitError.tooManyEntries(shape: [1 << 32, 1 << 32], entries: nil, limit: 4_196, rationale: "the most an answer of this assignment can need")) {
      try budget.count(of: [1 << 32, 1 << 32])
    }
    #expect(throws: ArrayLimitError.tooManyEntries(shape: [4_197], entries: 4_197, limit: 4_196, rationale: "the most an answer of this assignment can need")) {
      try budget.count(of: [4_197])
    }
    #expect(throws: ArrayLimitError.tooManyDimensions(count: 65, limit: 64)) { try budget.count(of: [Int](repeating: 1, count: 65)) }
    for _ in 0..<15 { _ = try budget.admit(shape: [4_196]) }
    #expect(budget.entries == 62_940)
    #expect(throws: ArrayLimitError.self) { try budget.admit(shape: [4_000]) }
    #expect(budget.entries == 62_940, "a refused array is not charged")
    #expect(try budget.admit(shape: [2_996]) == 2_996)
    #expect(budget.entries == 65_936)
    #expect(budget.admitMember(bytes: 43_581)?.contains("beyond 43.6 KB") == true)
    #expect(budget.admitMember(bytes: 43_580) == nil)
    #expect(budget.memberBytes == 43_580)
  }

  @Test("byte counts for messages", arguments: [
    (0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (1_000, "1 KB"), (43_580, "43.6 KB"), (999_960, "1 MB"),
    (8_388_608, "8.4 MB"), (1 << 30, "1.1 GB"), (Int.max, "9.2 EB"),
  ])
  func describeBytes(bytes: Int, text: String) {
    #expect(ArrayReadLimits.describe(bytes: bytes) == text)
  }

  @Test("limit messages are sentences naming the shape and the bound")
  func messages() {
    let r = "the most an answer of this assignment can need"
    #expect(ArrayLimitError.tooManyEntries(shape: [3000, 3000], entries: 9_000_000, limit: 4_196, rationale: r).description ==
      "shape 3000×3000 has 9000000 entries; expected at most 4196 entries, the most an answer of this assignment can need")
    #expect(ArrayLimitError.tooManyEntries(shape: [1 << 32, 1 << 32], entries: nil, limit: 4_196, rationale: r).description ==
      "shape 4294967296×4294967296 has more entries than a 64-bit integer can count; expected at most 4196 entries, the most an answer of this assignment can need")
    #expect(ArrayLimitError.submissionTooLarge(shape: [10], entries: 10, alreadyRead: 95, limit: 100, rationale: r).description ==
      "shape 10 (10 entries) would bring the submission to 105 entries, more than 100 in all, the most an answer of this assignment can need")
  }
}
