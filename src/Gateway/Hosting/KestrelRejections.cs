using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Gateway.Errors;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Hosting;

/// <summary>
/// Kestrel answers requests it cannot parse (a malformed request line, a URL past its limit: 414, headers past theirs:
/// 431) itself, before any middleware runs, with an empty body. This wraps each connection's output and gives such an
/// answer the JSON error envelope. Kestrel writes a rejection as one flush of its own shape (an error status,
/// <c>Content-Length: 0</c>, <c>Connection: close</c>), which is what is recognised; the application never answers an
/// error without a body, so nothing it writes is touched.
/// </summary>
public static class KestrelRejections
{
    public static void UseErrorEnvelope(this ListenOptions listen) =>
        listen.Use(next => connection =>
        {
            connection.Transport = new EnvelopingPipe(connection.Transport);
            return next(connection);
        });

    /// <summary>The rejection rewritten with the envelope, or null when <paramref name="written"/> is not one.</summary>
    private static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (!written.StartsWith("HTTP/1.1 "u8) || written.Length < 12 || written[9] is not ((byte)'4' or (byte)'5')) return null;
        var end = written.IndexOf("\r\n\r\n"u8);
        if (end < 0 || end + 4 != written.Length) return null;
        var head = Encoding.ASCII.GetString(written[..end]);
        var lines = head.Split("\r\n");
        if (!lines.Contains("Content-Length: 0", StringComparer.OrdinalIgnoreCase) || !lines.Contains("Connection: close", StringComparer.OrdinalIgnoreCase))
            return null;
        if (!int.TryParse(head.AsSpan(9, 3), out var status)) return null;

        var body = JsonSerializer.SerializeToUtf8Bytes(Envelope(status));
        var rewritten = new StringBuilder();
        foreach (var line in lines.Where(l => !l.Equals("Content-Length: 0", StringComparison.OrdinalIgnoreCase)))
            rewritten.Append(line).Append("\r\n");
        rewritten.Append("Content-Type: application/json\r\n").Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(rewritten.ToString()), .. body];
    }

    private static ApiErrorWriter.ErrorEnvelope Envelope(int status)
    {
        var (message, code) = status switch
        {
            StatusCodes.Status400BadRequest => ("The request is not valid HTTP/1.1 (request line, headers or framing).", "bad_request"),
            StatusCodes.Status408RequestTimeout => ("The request did not arrive in time.", "request_timeout"),
            StatusCodes.Status413PayloadTooLarge => ("The request body is too large.", "request_too_large"),
            StatusCodes.Status414UriTooLong => ("The request line (method and URL) is longer than the server accepts.", "uri_too_long"),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => ("The request headers are larger than the server accepts.", "headers_too_large"),
            StatusCodes.Status505HttpVersionNotsupported => ("Only HTTP/1.1 and HTTP/1.0 are served here.", "http_version_not_supported"),
            _ => ($"The server refused the request with status {status}.", "bad_request"),
        };
        return new ApiErrorWriter.ErrorEnvelope(new ApiErrorWriter.ErrorBody(message, ApiErrorTypes.For(status), null, code));
    }

    private sealed class EnvelopingPipe(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input => inner.Input;
        public PipeWriter Output { get; } = new EnvelopingWriter(inner.Output);
    }

    /// <summary>Holds what is written until it is flushed, so that a rejection can be replaced before it leaves.</summary>
    private sealed class EnvelopingWriter(PipeWriter inner) : PipeWriter
    {
        /// <summary>A buffer grown past this by a large answer is dropped after its flush, not kept for the connection's life.</summary>
        private const int KeptCapacity = 64 * 1024;

        private ArrayBufferWriter<byte> _pending = new();

        public override bool CanGetUnflushedBytes => true;
        public override long UnflushedBytes => _pending.WrittenCount;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);
        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Pass();
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Pass();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            Pass();
            return inner.CompleteAsync(exception);
        }

        private void Pass()
        {
            if (_pending.WrittenCount == 0) return;
            var written = _pending.WrittenSpan;
            inner.Write(Rewrite(written) ?? written);
            if (_pending.Capacity > KeptCapacity) _pending = new ArrayBufferWriter<byte>();
            else _pending.ResetWrittenCount();
        }
    }
}
