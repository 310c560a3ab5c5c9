/// SHA-256, the 256-bit member of the SHA-2 family (FIPS 180-4, §6.2).
///
/// ```
/// message  →  pad to a multiple of 64 bytes: 0x80, zeros, the bit length as 8 bytes big-endian
///          →  per 64-byte block: schedule W₀…W₆₃, 64 rounds on (a, b, …, h), add into H₀…H₇
/// digest   =  H₀ ‖ H₁ ‖ … ‖ H₇, each 4 bytes big-endian                       (32 bytes)
/// ```
///
/// One-shot: `SHA256.hash(bytes)`. Incremental: `var h = SHA256(); h.update(part)…; h.finalize()`;
/// any split of the message into `update` calls gives the one-shot digest.
///
/// Edge Cases:
/// - The empty message has a digest (e3b0c442…b855).
/// - Messages of 2⁶¹ bytes or more (a bit length that does not fit 64 bits) are not supported.
public struct SHA256: Sendable {
  /// Bytes in a digest.
  public static let byteCount = 32
  /// Bytes in a block.
  public static let blockByteCount = 64

  /// H⁽⁰⁾, the first 32 bits of the fractional parts of the square roots of the first 8 primes (§5.3.3).
  private static let initialState: [UInt32] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]

  /// K₀…K₆₃, the first 32 bits of the fractional parts of the cube roots of the first 64 primes (§4.2.2).
  private static let k: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]

  private var state = SHA256.initialState
  /// The bytes of an incomplete block, fewer than 64.
  private var pending: [UInt8] = []
  /// Bytes absorbed so far.
  private var length: UInt64 = 0

  public init() {
    pending.reserveCapacity(Self.blockByteCount)
  }

  /// The digest of `bytes`: 32 bytes.
  public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
    var hasher = SHA256()
    hasher.update(bytes)
    return hasher.finalize()
  }

  /// Absorbs the next part of the message.
  public mutating func update(_ bytes: some Sequence<UInt8>) {
    let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
      absorb(UnsafeRawBufferPointer(buffer))
    }
    if done == nil {
      let copy = Array(bytes)
      copy.withUnsafeBytes { absorb($0) }
    }
  }

  /// The digest of everything absorbed; the hasher itself is left as it was, so more parts may
  /// follow and `finalize` be asked again for the longer message.
  public func finalize() -> [UInt8] {
    var copy = self
    let bitLength = length &* 8
    // Padding (§5.1.1): 0x80, then zeros up to 56 mod 64, then the bit length, big-endian.
    var padding: [UInt8] = [0x80]
    let afterMarker = (Int(length % 64) + 1) % 64
    padding += [UInt8](repeating: 0, count: (56 - afterMarker + 64) % 64)
    for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
    padding.withUnsafeBytes { copy.absorb($0) }
    precondition(copy.pending.isEmpty, "SHA-256 padding must end on a block boundary")
    var digest: [UInt8] = []
    digest.reserveCapacity(Self.byteCount)
    for word in copy.state {
      digest += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
    }
    return digest
  }

  private mutating func absorb(_ bytes: UnsafeRawBufferPointer) {
    length &+= UInt64(bytes.count)
    var offset = 0
    if !pending.isEmpty {
      let take = min(Self.blockByteCount - pending.count, bytes.count)
      pending += bytes[0..<take]
      offset = take
      guard pending.count == Self.blockByteCount else { return }
      pending.withUnsafeBytes { compress(UnsafeRawBufferPointer(rebasing: $0[0..<Self.blockByteCount])) }
      pending.removeAll(keepingCapacity: true)
    }
    while bytes.count - offset >= Self.blockByteCount {
      compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Self.blockByteCount)]))
      offset += Self.blockByteCount
    }
    pending += bytes[offset...]
  }

  /// One block through the compression function (§6.2.2).
  ///
  /// ```
  /// Wₜ = Mₜ (t < 16),   Wₜ = σ₁(Wₜ₋₂) + Wₜ₋₇ + σ₀(Wₜ₋₁₅) + Wₜ₋₁₆
  /// T₁ = h + Σ₁(e) + Ch(e, f, g) + Kₜ + Wₜ        T₂ = Σ₀(a) + Maj(a, b, c)
  /// Σ₀(x) = ROTR²(x) ⊕ ROTR¹³(x) ⊕ ROTR²²(x)     Σ₁(x) = ROTR⁶(x) ⊕ ROTR¹¹(x) ⊕ ROTR²⁵(x)
  /// σ₀(x) = ROTR⁷(x) ⊕ ROTR¹⁸(x) ⊕ SHR³(x)       σ₁(x) = ROTR¹⁷(x) ⊕ ROTR¹⁹(x) ⊕ SHR¹⁰(x)
  /// ```
  private mutating func compress(_ block: UnsafeRawBufferPointer) {
    @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
    var w = [UInt32](repeating: 0, count: 64)
    for t in 0..<16 {
      w[t] = UInt32(block[4 * t]) << 24 | UInt32(block[4 * t + 1]) << 16 | UInt32(block[4 * t + 2]) << 8 | UInt32(block[4 * t + 3])
    }
    for t in 16..<64 {
      let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
      let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
      w[t] = s1 &+ w[t - 7] &+ s0 &+ w[t - 16]
    }
    var (a, b, c, d, e, f, g, h) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
    for t in 0..<64 {
      let bigSigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
      let choose = (e & f) ^ (~e & g)
      let t1 = h &+ bigSigma1 &+ choose &+ Self.k[t] &+ w[t]
      let bigSigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
      let majority = (a & b) ^ (a & c) ^ (b & c)
      let t2 = bigSigma0 &+ majority
      (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
    }
    state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
    state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
  }
}
