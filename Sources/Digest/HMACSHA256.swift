/// HMAC with SHA-256 (RFC 2104; the SHA-256 instance of FIPS 198-1).
///
/// ```
/// K′   = SHA256(K) if K is longer than 64 bytes, else K; then zero-padded to 64 bytes
/// HMAC = SHA256((K′ ⊕ opad) ‖ SHA256((K′ ⊕ ipad) ‖ message))      ipad = 0x36…, opad = 0x5c…
/// ```
///
/// The MAC is 32 bytes; protocols that truncate it (RFC 4231 test case 5 keeps 16) take a prefix.
public enum HMACSHA256 {
  /// Bytes in a MAC.
  public static let byteCount = SHA256.byteCount

  /// The 32-byte MAC of `message` under `key` (any length, empty included).
  public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var block = key.count > SHA256.blockByteCount ? SHA256.hash(key) : key
    block += [UInt8](repeating: 0, count: SHA256.blockByteCount - block.count)
    var inner = SHA256()
    inner.update(block.map { $0 ^ 0x36 })
    inner.update(message)
    var outer = SHA256()
    outer.update(block.map { $0 ^ 0x5c })
    outer.update(inner.finalize())
    return outer.finalize()
  }

  /// A 64-bit seed derived from `key` and `message`: the first 8 bytes of
  /// `authenticationCode(key:message:)`, read as a big-endian unsigned integer.
  ///
  /// ```
  /// seed = MAC[0] << 56 | MAC[1] << 48 | … | MAC[7]
  /// ```
  ///
  /// The same key and message always give the same seed; without the key the seed cannot be
  /// predicted from the message (e.g. a student id and an input-set number).
  public static func seed(key: [UInt8], message: [UInt8]) -> UInt64 {
    authenticationCode(key: key, message: message).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
  }
}
