import RefbotTransport

// The parts of the configuration that hold secrets print without them (``RedactsSecrets``):
// the configuration is printed whole wherever it is interpolated into a log line or an error.

extension Configuration.IMAP: RedactsSecrets {
    public static let secretLabels: Set<String> = ["password"]
}

extension Configuration.SMTP: RedactsSecrets {
    public static let secretLabels: Set<String> = ["password"]
}

extension Configuration.OAuth: RedactsSecrets {
    public static let secretLabels: Set<String> = ["clientSecret"]
}

extension Configuration.Webhook: RedactsSecrets {
    public static let secretLabels: Set<String> = ["secret"]
}

extension TokenReply: RedactsSecrets {
    public static let secretLabels: Set<String> = ["accessToken", "refreshToken"]
}
