import RefbotCore

/// Core's notification; named here so it is not confused with Foundation's `Notification`.
public typealias Notification = RefbotCore.Notification
