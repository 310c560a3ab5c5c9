import Digest
import Testing

/// HMAC-SHA256 against RFC 4231 ("Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256,
/// HMAC-SHA-384, and HMAC-SHA-512"), §4.2–§4.8, test cases 1–7, the HMAC-SHA-256 lines.
@Suite("HMACSHA256")
struct HMACSHA256Tests {
  struct Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var key: [UInt8]
    var data: [UInt8]
    var mac: String
    /// Test case 5 publishes only the first 128 bits.
    var truncatedTo: Int? = nil
    var testDescription: String { name }
  }

  static let vectors: [Vector] = [
    // §4.2: key = 0x0b repeated 20 times, data = "Hi There".
    Vector(name: "case 1", key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
           mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    // §4.3: a key shorter than the output, "Jefe".
    Vector(name: "case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
           mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    // §4.4: key = 0xaa × 20, data = 0xdd × 50.
    Vector(name: "case 3", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
           mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    // §4.5: key = 0x01 0x02 … 0x19 (25 bytes), data = 0xcd × 50.
    Vector(name: "case 4", key: (1...25).map { UInt8($0) }, data: [UInt8](repeating: 0xcd, count: 50),
           mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    // §4.6: truncation to 128 bits, key = 0x0c × 20.
    Vector(name: "case 5 (truncated to 128 bits)", key: [UInt8](repeating: 0x0c, count: 20), data: Array("Test With Truncation".utf8),
           mac: "a3b6167473100ee06e0c796c2955552b", truncatedTo: 16),
    // §4.7: a 131-byte key, longer than the 64-byte block, hashed first.
    Vector(name: "case 6 (131-byte key)", key: [UInt8](repeating: 0xaa, count: 131),
           data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
           mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    // §4.8: a 131-byte key and 152 bytes of data.
    Vector(name: "case 7 (131-byte key, long data)", key: [UInt8](repeating: 0xaa, count: 131),
           data: Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
           mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
  ]

  @Test("RFC 4231 test cases 1–7", arguments: vectors)
  func rfc4231(_ vector: Vector) {
    let mac = HMACSHA256.authenticationCode(key: vector.key, message: vector.data)
    #expect(mac.count == 32)
    #expect(Hex.string(mac.prefix(vector.truncatedTo ?? 32)) == vector.mac)
  }

  @Test("the 131-byte key of cases 6 and 7 is the same key as its SHA-256 (RFC 2104 §2)")
  func longKeyIsHashed() {
    let key = [UInt8](repeating: 0xaa, count: 131)
    let data = Self.vectors[5].data
    #expect(HMACSHA256.authenticationCode(key: SHA256.hash(key), message: data) == HMACSHA256.authenticationCode(key: key, message: data))
  }

  @Test("seed is the first 8 bytes of the MAC, big-endian")
  func seed() {
    // RFC 4231 case 2 gives the MAC 5bdcc146bf60754e…; its first 8 bytes read big-endian.
    #expect(HMACSHA256.seed(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)) == 0x5bdc_c146_bf60_754e)
    // Case 1: b0344c61d8db3853….
    #expect(HMACSHA256.seed(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)) == 0xb034_4c61_d8db_3853)
    // A different message under the same key gives a different seed.
    #expect(HMACSHA256.seed(key: Array("Jefe".utf8), message: Array("what do ya want for nothing!".utf8)) != 0x5bdc_c146_bf60_754e)
  }
}
