using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Gateway.Tests.Support;

/// <summary>Requests written byte by byte on a socket, for what HttpClient refuses to send (broken framing, huge lines).</summary>
public static class RawHttp
{
    public sealed record Response(int Status, string Head, string Body)
    {
        /// <summary>The envelope's <c>error</c> object; fails unless the answer is JSON in the shared shape.</summary>
        public JsonElement Error()
        {
            Assert.Contains("content-type: application/json", Head, StringComparison.OrdinalIgnoreCase);
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.GetProperty("error").Clone();
        }
    }

    /// <summary>Sends <paramref name="request"/> and reads the answer until the server closes the connection or (unless
    /// <paramref name="untilClosed"/>) the first answer is complete.</summary>
    public static async Task<Response> SendAsync(Uri server, string request, bool untilClosed = false, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancel.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), cancel.Token);

        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, cancel.Token);
            }
            catch (IOException)
            {
                // The server may reset a connection whose request it refused once it has answered.
                break;
            }
            if (read == 0) break;
            received.Write(buffer, 0, read);
            if (!untilClosed && IsComplete(received.ToArray())) break;
        }
        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"No complete answer: '{text}'");
        var head = text[..split];
        var body = text[(split + 4)..];
        return new Response(int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head,
            IsChunked(head) && !untilClosed ? Dechunk(body) : body);
    }

    private static bool IsChunked(string head) => head.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase);

    private static string Dechunk(string body)
    {
        var text = new StringBuilder();
        for (var at = 0; ;)
        {
            var line = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..line], 16);
            if (size == 0) return text.ToString();
            text.Append(body, line + 2, size);
            at = line + 2 + size + 2;
        }
    }

    private static bool IsComplete(byte[] received)
    {
        var text = Encoding.Latin1.GetString(received);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return false;
        if (IsChunked(text[..split])) return text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
        var length = text[..split].Split("\r\n")
            .Select(line => line.Split(':', 2))
            .FirstOrDefault(parts => parts.Length == 2 && parts[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase));
        return length is not null && received.Length - split - 4 >= int.Parse(length[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
