using System.Net.Http.Headers;
using Gateway.Tests.Support;

namespace Gateway.Tests.Progress;

/// <summary>Opening <c>GET /jobs/{id}/events</c> as an EventSource would.</summary>
internal static class EventStreams
{
    public static async Task<HttpResponseMessage> OpenAsync(HttpClient client, string jobId, bool preview = false, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{jobId}/events{(preview ? "?preview=true" : "")}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    public static async Task<SseReader> ReaderAsync(HttpResponseMessage response) => new(await response.Content.ReadAsStreamAsync());
}
