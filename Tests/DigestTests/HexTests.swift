import Digest
import Testing

@Suite("Hex")
struct HexTests {
  @Test("bytes to lowercase digits and back")
  func roundTrip() {
    let bytes: [UInt8] = [0x00, 0x0f, 0xba, 0x78, 0xff]
    #expect(Hex.string(bytes) == "000fba78ff")
    #expect(Hex.bytes("000fba78ff") == bytes)
    #expect(Hex.bytes("000FBA78FF") == bytes)
    #expect(Hex.bytes("00 0f ba\n78 ff") == bytes)
    #expect(Hex.string([UInt8]()) == "")
    #expect(Hex.bytes("") == [])
  }

  @Test("an odd number of digits or another character is not hexadecimal", arguments: ["abc", "0g", "0x00", "ba78-16"])
  func invalid(_ text: String) {
    #expect(Hex.bytes(text) == nil)
  }
}
