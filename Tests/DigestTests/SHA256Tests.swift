import Digest
import Testing

/// SHA-256 against the published examples.
///
/// Vectors: FIPS 180-2 Appendix B — B.1 "abc", B.2 the 448-bit message, B.3 one million 'a' —
/// the examples NIST keeps publishing for FIPS 180-4 ("Examples with Intermediate Values",
/// SHA256.pdf); the 896-bit message is the two-block example of FIPS 180-2 Appendix C (SHA-512),
/// with the SHA-256 digest the NIST-derived test-vector tables give for it; the empty message
/// is `Len = 0` of the NIST CAVP file SHA256ShortMsg.rsp.
@Suite("SHA256")
struct SHA256Tests {
  struct Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var message: [UInt8]
    var digest: String
    var testDescription: String { name }
  }

  static let nist448 = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
  static let nist896 = Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)

  static let vectors: [Vector] = [
    Vector(name: "empty", message: [], digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    Vector(name: "abc", message: Array("abc".utf8), digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    Vector(name: "448-bit", message: nist448, digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    Vector(name: "896-bit", message: nist896, digest: "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
  ]

  @Test("one-shot digests of the NIST examples", arguments: vectors)
  func published(_ vector: Vector) {
    let digest = SHA256.hash(vector.message)
    #expect(digest.count == 32)
    #expect(Hex.string(digest) == vector.digest)
  }

  @Test("one million 'a', through update in uneven parts")
  func millionA() {
    var hasher = SHA256()
    let part = [UInt8](repeating: UInt8(ascii: "a"), count: 997)
    var remaining = 1_000_000
    while remaining > 0 {
      let n = min(remaining, part.count)
      hasher.update(part[0..<n])
      remaining -= n
    }
    #expect(Hex.string(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test("the 896-bit example split in two at every boundary gives its published digest")
  func splitPublished() {
    for k in 0...Self.nist896.count {
      var hasher = SHA256()
      hasher.update(Self.nist896[0..<k])
      hasher.update(Self.nist896[k...])
      #expect(Hex.string(hasher.finalize()) == Self.vectors[3].digest, "split at \(k)")
    }
  }

  @Test("a 131-byte message split at every boundary 0…130, in two and in three parts, equals one-shot")
  func splitEveryBoundary() {
    let message = (0..<131).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    let oneShot = SHA256.hash(message)
    for k in 0...130 {
      var two = SHA256()
      two.update(message[0..<k])
      two.update(message[k...])
      #expect(two.finalize() == oneShot, "split at \(k)")
      let middle = k + (message.count - k) / 2
      var three = SHA256()
      three.update(message[0..<k])
      three.update(message[k..<middle])
      three.update(message[middle...])
      #expect(three.finalize() == oneShot, "split at \(k) and \(middle)")
    }
  }

  @Test("finalize leaves the hasher as it was; more parts may follow")
  func finalizeIsRepeatable() {
    var hasher = SHA256()
    hasher.update(Array("ab".utf8))
    _ = hasher.finalize()
    hasher.update(Array("c".utf8))
    #expect(Hex.string(hasher.finalize()) == Self.vectors[1].digest)
    #expect(Hex.string(hasher.finalize()) == Self.vectors[1].digest)
  }

  @Test("a sequence without contiguous storage hashes like the same bytes in an array")
  func lazySequence() {
    let lazy = Self.nist448.lazy.map { $0 }
    #expect(Hex.string(SHA256.hash(lazy)) == Self.vectors[2].digest)
    #expect(Hex.string(SHA256.hash(Array("abc".utf8).reversed().reversed())) == Self.vectors[1].digest)
  }
}
