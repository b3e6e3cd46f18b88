extension Configuration {
    /// The most members one list of the recognition mail may name: the mail stays readable.
    public static let maxRecognitionTop = 50

    /// `network.recognition_top`: 0 (no recognition mail) up to ``maxRecognitionTop``.
    static func readRecognition(_ r: inout TableReader, into c: inout Configuration) {
        guard let top = r.integer("recognition_top", min: 0) else { return }
        guard top <= maxRecognitionTop else {
            r.problem(
                "recognition_top", "is \(top)",
                "use a whole number from 0 (no recognition mail) to \(maxRecognitionTop) (members named in each list)")
            return
        }
        c.network.recognitionTop = top
    }
}
