namespace Gateway.Hosting;

/// <summary>The server cannot start as configured (a data path that is the wrong kind of thing, an invalid setting).
/// The message is one line that names the path or setting and what was expected; the server prints it and exits 1.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
