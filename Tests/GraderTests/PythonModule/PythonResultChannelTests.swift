import Foundation
import Testing
@testable import Grader

/// The harness's records count only with the run's seal: a record printed by the student's code,
/// written with another nonce (a replay), or altered in transit is dropped.
@Suite("The sealed records of the Python harness")
struct PythonResultChannelTests {
  static let nonce = Array(repeating: UInt8(7), count: 32)
  static let record = PythonResultChannel.Record(item: "dW_h", set: 0, kind: "value", body: Array(NpyFormat.encode(Tensor(shape: [2], scalars: [1, 2]))))

  @Test("a sealed record is read back whole")
  func roundTrip() {
    let ended = PythonResultChannel.Record(item: "dW_h", set: -1, kind: "ended", body: Array("exited 0\n".utf8))
    let bytes = PythonResultChannel.encode(Self.record, nonce: Self.nonce) + PythonResultChannel.encode(ended, nonce: Self.nonce)
    let read = PythonResultChannel.records(in: bytes, nonce: Self.nonce)
    #expect(read.records == [Self.record, ended])
    #expect(read.forged == 0 && !read.truncated)
  }

  @Test("records sealed with another nonce, or altered after sealing, are dropped and counted")
  func forgedRecordsAreDropped() {
    let other = Array(repeating: UInt8(8), count: 32)
    var altered = PythonResultChannel.encode(Self.record, nonce: Self.nonce)
    altered[altered.count - 2] ^= 1   // the last byte of the body
    let bytes = PythonResultChannel.encode(Self.record, nonce: other) + altered + PythonResultChannel.encode(Self.record, nonce: Self.nonce)
    let read = PythonResultChannel.records(in: bytes, nonce: Self.nonce)
    #expect(read.records == [Self.record])
    #expect(read.forged == 2)
  }

  @Test("a line that is not a record, a wrong length or a cut record stop the reading", arguments: [
    Array("grading-result 1 dW_h\n".utf8),
    Array("grading-python 1 dW_h 0 value 99999 \(String(repeating: "ab", count: 32))\nshort\n".utf8),
    Array("grading-python 1 dW_h 0 value 2 zz\nab\n".utf8),
  ])
  func malformed(bytes: [UInt8]) {
    let read = PythonResultChannel.records(in: PythonResultChannel.encode(Self.record, nonce: Self.nonce) + bytes, nonce: Self.nonce)
    #expect(read.records == [Self.record])
    #expect(read.truncated)
  }

  @Test("the seal covers every field: another item, set or kind does not verify")
  func sealCoversFields() {
    let mac = PythonResultChannel.seal(item: "dW_h", set: "0", kind: "value", body: [1], nonce: Self.nonce)
    #expect(PythonResultChannel.seal(item: "dW_e", set: "0", kind: "value", body: [1], nonce: Self.nonce) != mac)
    #expect(PythonResultChannel.seal(item: "dW_h", set: "1", kind: "value", body: [1], nonce: Self.nonce) != mac)
    #expect(PythonResultChannel.seal(item: "dW_h", set: "0", kind: "error", body: [1], nonce: Self.nonce) != mac)
    #expect(PythonResultChannel.seal(item: "dW_h", set: "0", kind: "value", body: [2], nonce: Self.nonce) != mac)
  }

  @Test("every run's nonce is new: 32 bytes, never twice the same")
  func nonces() {
    let made = (0..<50).map { _ in PythonResultChannel.nonce() }
    #expect(made.allSatisfy { $0.count == 32 })
    #expect(Set(made.map { $0.map(String.init).joined(separator: ",") }).count == 50)
  }
}
