import Foundation
import Testing
import Jacobians
import NGram
@testable import Grader

@Suite("The ngram-lm mistakes")
struct NGramLanguageModelMistakesTests {
  /// The items each mistake is named on, at the shipped options (the catalogue's table).
  static let items: [String: Set<String>] = [
    "end-not-counted": ["unigram_counts", "bigram_counts"],
    "start-in-vocabulary": ["p_laplace", "p_backoff_test", "logprob_test", "perplexity_test", "perplexity_uniform", "sentence_probability"],
    "vocabulary-without-end": ["p_laplace", "p_backoff_test", "logprob_test", "perplexity_test", "perplexity_uniform", "sentence_probability"],
    "end-not-predicted": ["logprob_test", "perplexity_test", "sentence_probability"],
    "joint-instead-of-conditional": ["p_mle", "p_laplace", "p_backoff_test", "logprob_test", "perplexity_test", "sentence_probability"],
    "add-k-numerator-only": ["p_laplace", "perplexity_test"],
    "log-base-2": ["logprob_test", "perplexity_test", "perplexity_uniform"],
    "log-base-10": ["logprob_test", "perplexity_test", "perplexity_uniform"],
    "perplexity-without-mean": ["perplexity_test", "perplexity_uniform"],
    "start-counted-in-n": ["p_backoff_test", "perplexity_test", "perplexity_uniform"],
    "backoff-skips-unigram": ["p_backoff_test"],
    "unseen-context-over-seen-words": ["p_laplace", "logprob_test", "perplexity_test", "sentence_probability"],
  ]

  @Test("every mistake of the note is in the catalogue, once, and is produced on each of its items for every one of 4 students")
  func everyMistakeOnItsItems() throws {
    let g = try grader("ngram-lm")
    let ids = g.model.mistakes.mutants.map(\.id)
    #expect(Set(ids) == Set(Self.items.keys))
    #expect(Set(ids).count == ids.count)
    #expect(Set(NGramMistakes.named.map(\.name)).isSubset(of: Set(ids)), "every mistake of NGramMistakes")
    for student in DiagnosisFixtures.students {
      let cases = DiagnosisFixtures.cases(g, students: [student])
      for (id, items) in Self.items {
        #expect(Set(cases.filter { $0.mutant == id }.map(\.item)) == items, "\(student): \(id)")
      }
    }
  }

  @Test("under every option setting, every case fails and is named as itself for 4 students; no case equals the reference or another mistake")
  func detectedAndNamedUnderEveryOption() throws {
    var total = 0, detected = 0, named = 0
    for (g, o) in zip(try NGramConfigurations.graders(), NGramConfigurations.options) {
      let cases = DiagnosisFixtures.cases(g)
      #expect(Set(cases.map(\.mutant)) == Set(Self.items.keys), "k = \(o.k), order \(o.order): every mistake shows")
      for c in cases {
        let item = DiagnosisFixtures.gradeItem(g, item: c.item, student: c.student, value: c.value)
        total += 1
        if item.status == .fail { detected += 1 } else { Issue.record("\(c), k = \(o.k), order \(o.order): \(item.status)") }
        if item.diagnosis?.id == c.mutant { named += 1 } else {
          Issue.record("\(c), k = \(o.k), order \(o.order): named \(item.diagnosis?.id ?? "nothing")")
        }
      }
      for student in DiagnosisFixtures.students {
        let reference = g.reference(for: student)
        for spec in g.assignment.items {
          let tolerance = g.rubric.entry(spec.id).tolerance
          let mine = cases.filter { $0.student == student && $0.item == spec.id }
          for (a, x) in mine.enumerated() {
            #expect(!CatalogueTests.close(x.value, reference[spec.id]!, spec.shape, tolerance), "\(x) equals the reference")
            for y in mine.dropFirst(a + 1) {
              #expect(!CatalogueTests.close(x.value, y.value, spec.shape, tolerance), "\(x) coincides with \(y), k = \(o.k), order \(o.order)")
            }
          }
        }
      }
    }
    print(String(format: "ngram-lm mistakes under %d option settings: %d cases, detected %d (%.1f %%), named %d (%.1f %%)",
                 NGramConfigurations.options.count, total, detected, 100 * Double(detected) / Double(max(total, 1)), named, 100 * Double(named) / Double(max(total, 1))))
    #expect(total > 300)
    #expect(detected == total && named == total)
  }

  @Test("k added to the numerator only: as computed, unseen rows are k/0 = +∞ and fail as non-finite; guarded, they are 0 and the mistake is named")
  func numeratorOnly() throws {
    let g = try grader("ngram-lm")
    let model = g.model as! NGramLanguageModel
    let inputs = g.inputs(for: "num")
    let p = model.problem(inputs)
    let raw = MutantNGram.value(.p_laplace, of: p, mistakes: .addKNumeratorOnly)
    #expect(raw.scalars.contains(.infinity))
    let unchecked = DiagnosisFixtures.gradeItem(g, item: "p_laplace", student: "num", value: Tensor(shape: [12, 12], scalars: raw.scalars))
    #expect(unchecked.status == .fail && unchecked.diagnosis == nil && unchecked.message.contains("finite"))
    let guarded = Tensor(shape: [12, 12], scalars: raw.scalars.map { $0.isFinite ? $0 : 0 })
    let item = DiagnosisFixtures.gradeItem(g, item: "p_laplace", student: "num", value: guarded)
    #expect(item.diagnosis?.id == "add-k-numerator-only")
    for w in 0..<12 { #expect(guarded.scalars[NGramToken.end * 12 + w] == 0, "the </s> row, an unseen context") }
    // exp(−(1/N) Σ ln P) with a term ln ∞: a perplexity of 0.
    let pp = DiagnosisFixtures.gradeItem(g, item: "perplexity_test", student: "num", value: Tensor(scalar: 0))
    #expect(pp.diagnosis?.id == "add-k-numerator-only")
    #expect(pp.diagnosis?.message.contains("k/0 = ∞") == true)
  }

  @Test("the counts without </s>: C(</s>) = 0 and the column </s> empty, named 'end-not-counted'")
  func endNotCounted() throws {
    let g = try grader("ngram-lm")
    let reference = g.reference(for: "end")
    var unigram = reference["unigram_counts"]!
    unigram.scalars[1] = 0
    #expect(DiagnosisFixtures.gradeItem(g, item: "unigram_counts", student: "end", value: unigram).diagnosis?.id == "end-not-counted")
    var bigram = reference["bigram_counts"]!
    for p in 0..<12 { bigram.scalars[p * 12 + 1] = 0 }
    let item = DiagnosisFixtures.gradeItem(g, item: "bigram_counts", student: "end", value: bigram)
    #expect(item.diagnosis?.id == "end-not-counted")
    #expect(item.diagnosis?.message.contains("column </s>") == true)
  }

  @Test("messages speak of the item with the student's V: |V| = V + 1 = 11")
  func messages() throws {
    let g = try grader("ngram-lm")
    let cases = DiagnosisFixtures.cases(g, students: ["msg"])
    let start = try #require(cases.first { $0.mutant == "start-in-vocabulary" && $0.item == "p_laplace" })
    let d = try #require(DiagnosisFixtures.gradeItem(g, item: start.item, student: "msg", value: start.value).diagnosis)
    #expect(d.message.contains("|V| = V + 2 = 12") && d.message.contains("|V| = V + 1 = 11"), "\(d.message)")
    let uniform = try #require(cases.first { $0.mutant == "perplexity-without-mean" && $0.item == "perplexity_uniform" })
    #expect(DiagnosisFixtures.gradeItem(g, item: uniform.item, student: "msg", value: uniform.value).diagnosis?.message.contains("(V + 1)^N") == true)
  }

  /// Correct answers computed otherwise: rounded to float32, computed a second time in another
  /// order (`NGramSecondImplementation`), or perturbed by a relative 10⁻⁸, well within the
  /// rubric's 10⁻⁶.
  @Test("1000 correct variants under the 4 option settings: no failure and no diagnosis")
  func thousandCorrectVariants() throws {
    let graders = try NGramConfigurations.graders()
    var rng = SplitMix64(seed: 1000)
    var failures = 0, diagnoses = 0
    for k in 0..<1000 {
      let g = graders[k % graders.count], o = NGramConfigurations.options[k % graders.count]
      let student = "ngram-variant-\(k)"
      let inputs = g.inputs(for: student)
      var values = g.model.reference(inputs: inputs)
      switch (k / graders.count) % 3 {
      case 0:
        values = values.mapValues { t in Tensor(shape: t.shape, scalars: t.scalars.map { Double(Float($0)) }, dtype: .float32) }
      case 1:
        values = NGramSecondImplementation(inputs: inputs, k: o.k, order: o.order).items(inputs)
      default:
        values = values.mapValues { t in Tensor(shape: t.shape, scalars: t.scalars.map { $0 * (1 + rng.uniform(-1e-8, 1e-8)) }) }
      }
      let report = g.grade(student: student, answers: values.mapValues { .value($0) })
      for item in report.items where item.status != .pass { failures += 1; Issue.record("\(student) \(item.id): \(item.message)") }
      diagnoses += report.items.filter { $0.diagnosis != nil }.count
    }
    print("ngram-lm false alarms: 1000 correct variants; \(failures) failing items, \(diagnoses) diagnoses")
    #expect(failures == 0 && diagnoses == 0)
  }
}
