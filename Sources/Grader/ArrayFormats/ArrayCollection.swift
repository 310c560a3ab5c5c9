/// One array of a submission as read: the tensor, or a sentence saying why it cannot be read.
public enum ArrayEntry: Sendable, Equatable {
  case tensor(Tensor)
  /// A sentence naming the file and the problem, e.g. "dW_h.npy: header declares shape (5, 5)
  /// (25 entries, 200 bytes) but the file holds 96 bytes of data".
  case unreadable(String)

  public var tensor: Tensor? {
    if case .tensor(let t) = self { return t }
    return nil
  }

  public var problem: String? {
    if case .unreadable(let reason) = self { return reason }
    return nil
  }
}

/// One named array inside a file that holds several (an `.npz`, a `.safetensors`, a JSON object).
public struct ArrayItem: Sendable, Equatable {
  /// The item id: the `.npz` member name without `.npy`, the tensor name, the JSON key.
  public var name: String
  /// Where in the file it came from, for messages: `member W_h.npy`, `tensor W_h`, `key "W_h"`.
  public var location: String
  public var entry: ArrayEntry

  public init(name: String, location: String, entry: ArrayEntry) {
    self.name = name
    self.location = location
    self.entry = entry
  }
}

/// The arrays of one file, in the order the file lists them.
public struct ArrayCollection: Sendable, Equatable {
  public var items: [ArrayItem]
  /// Parts of the file that are not arrays and were skipped, e.g. an `.npz` member `notes.txt`.
  public var ignored: [String]

  public init(items: [ArrayItem] = [], ignored: [String] = []) {
    self.items = items
    self.ignored = ignored
  }

  /// The entry of `name`, if the file has it.
  public subscript(name: String) -> ArrayEntry? {
    items.first { $0.name == name }?.entry
  }
}
