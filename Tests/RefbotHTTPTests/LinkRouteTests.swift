import Testing

@testable import RefbotHTTP
