import Foundation

/// JSON through Foundation's encoder and decoder, the one path for every document the grader
/// writes (reports, records, summaries, integration results): pretty printing, keys sorted (so
/// the same document is the same bytes on every run and platform — Foundation's own key order
/// is not stable), slashes unescaped, and the non-finite numbers JSON has no spelling for as the
/// strings `"NaN"`, `"Infinity"` and `"-Infinity"`. Doubles are written in their shortest
/// round-trip form, so decoding gives back the same bits.
///
/// Students' array files are read by the tolerant reader of `ArrayFormats` instead (bare `NaN`,
/// duplicate keys, messages with line and column).
public enum ReportJSON {
  static let nonFinite = (positive: "Infinity", negative: "-Infinity", nan: "NaN")

  /// `value` as pretty JSON with a final newline.
  public static func encode<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
    do {
      return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    } catch {
      // Every document type encodes only strings, numbers, booleans, arrays and objects.
      preconditionFailure("a report document could not be encoded: \(error)")
    }
  }

  /// The value of type `T` in `data`.
  public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
    return try decoder.decode(type, from: data)
  }
}

/// A key of a JSON object, for documents whose fields are written by hand.
struct JSONKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(_ string: String) { stringValue = string }
  init?(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}
