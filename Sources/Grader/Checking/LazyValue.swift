/// A value computed once, when first read: the work the probes of one student's items share
/// (the forward pass at the point), which a grading that checks no item never does.
///
/// Not thread-safe: the probes of one grading are evaluated on one thread.
public final class LazyValue<Value> {
  private var make: (() -> Value)?
  private var stored: Value?

  public init(_ make: @escaping () -> Value) { self.make = make }

  public var value: Value {
    if let stored { return stored }
    let v = make!()
    stored = v
    make = nil
    return v
  }
}
