using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Support;

namespace Gateway.Tests.Hardening;

/// <summary>
/// Seeded, bounded fuzzing of the three dialects: small valid bodies mutated in their structure (values swapped for
/// hostile ones, fields dropped, added, wrapped) and in their bytes (flipped, cut, doubled, invalid UTF-8), sent with
/// the odd header now and then. Every answer must be below 500, in the envelope when it is an error, and quick.
/// The server queues one generation at most, so bodies that stay valid run (a sample of them, to the image and its
/// storage) or are refused with 429 at once, and no answer waits behind a long queue.
/// </summary>
public sealed class RequestFuzzTests
{
    private const int Seed = 18_2026;
    private const int RequestsPerDialect = 700;
    /// <summary>A refusal does no work worth the name, whatever the body.</summary>
    private static readonly TimeSpan SlowestRefusal = TimeSpan.FromSeconds(3);

    /// <summary>A body that stays valid runs a real generation (up to 1024x1024 at the model's 20 steps when a mutation
    /// drops the size), which on a busy CI machine takes seconds of its own.</summary>
    private static readonly TimeSpan SlowestGeneration = TimeSpan.FromSeconds(30);

    /// <summary>Values put in place of a field's value, as raw JSON.</summary>
    private static readonly string[] HostileValues =
    [
        "null", "true", "false", "0", "-1", "1", "2", "64", "1.5", "-0", "1e308", "-1e308", "1e-320", "9223372036854775808",
        "-9223372036854775809", "18446744073709551616", "123456789012345678901234567890", "4294967296", "\"\"", "\" \"", "\"64\"",
        "\"\\ud800\"", "\"x\\udc00y\"", "\"\\udbff\\udfff\"", "\"\\u0000\"", "\"\\n\\t\\\\\"", "\"☃ 雪\"", "\"512x512\"", "\"0x0\"",
        "\"99999x99999\"", "\"-64x64\"", "\"url\"", "\"b64_json\"", "\"NaN\"", "\"Infinity\"", "[]", "{}", "[null]", "[[[[[[[[]]]]]]]]",
        "{\"a\":{\"b\":{\"c\":{}}}}", "[\"tiny-sd\"]", "\"tiny-sd\"", "\"../gateway.db\"", "\"" + new string('a', 12_000) + "\"",
        "\"data:image/png;base64,AAAA\"", "\"iVBORw0KGgo=\"", "\"%%%\"",
    ];

    /// <summary>Bytes a byte-level mutation inserts.</summary>
    private static readonly string[] HostileFragments =
    [
        "{", "}", "[", "]", "\"", "\\", ",", ":", "\\u", "\\ud800", "\u0000", "\u00ff", "\ud7ff", "null", "1e999", "-", "0x10", "/*", "\r\n",
    ];

    private static readonly byte[][] InvalidUtf8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]];

    [Fact]
    public async Task Thousands_of_mutated_bodies_never_answer_5xx_and_never_take_long()
    {
        var random = new Random(Seed);
        var cases = new List<(string Path, byte[] Body, string? ContentType, bool Authorized)>();
        for (var i = 0; i < RequestsPerDialect; i++)
            foreach (var (path, template, _) in HostileInputTests.Dialects)
            {
                var seed = template.Replace("PROMPT", "\"a lighthouse\"").Replace("\"job_id\":\"j\"", $"\"job_id\":\"fuzz-{i}\"");
                cases.Add((path, Mutate(random, seed), ContentType(random), random.Next(50) != 0));
            }

        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string> { ["Gateway:MaxQueueLength"] = "1" });
        using var client = server.Client(null);
        var failures = new List<string>();
        var slowest = TimeSpan.Zero;
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (fuzz, cancel) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, fuzz.Path) { Content = new ByteArrayContent(fuzz.Body) };
            if (fuzz.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", fuzz.ContentType);
            if (fuzz.Authorized) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayTestServer.Key);
            var clock = Stopwatch.StartNew();
            using var response = await client.SendAsync(request, cancel);
            var text = await response.Content.ReadAsStringAsync(cancel);
            clock.Stop();
            var problem = Problem((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, clock.Elapsed);
            lock (failures)
            {
                if (clock.Elapsed > slowest) slowest = clock.Elapsed;
                if (problem is not null) failures.Add($"{problem} on POST {fuzz.Path} {Excerpt(fuzz.Body)}");
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} requests failed (slowest answer {slowest}):\n{string.Join('\n', failures.Take(20))}");
    }

    private static string? Problem(int status, string? mediaType, string body, TimeSpan elapsed)
    {
        if (status >= 500) return $"{status} {body}";
        if (elapsed > (status < 400 ? SlowestGeneration : SlowestRefusal)) return $"{status} after {elapsed.TotalSeconds:0.0} s";
        if (status < 400) return null;
        if (mediaType != "application/json") return $"{status} without the JSON envelope";
        try
        {
            using var document = JsonDocument.Parse(body);
            var error = document.RootElement.GetProperty("error");
            return error.GetProperty("message").ValueKind == JsonValueKind.String && error.TryGetProperty("code", out _)
                ? null
                : $"{status} with an incomplete envelope: {body}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"{status} with a body that is not the envelope: {body}";
        }
    }

    private static byte[] Mutate(Random random, string seed)
    {
        var text = random.Next(10) < 7 ? MutateStructure(random, seed) : seed;
        var bytes = Encoding.UTF8.GetBytes(text).ToList();
        if (random.Next(10) < 4)
            for (var n = random.Next(1, 4); n > 0; n--) MutateBytes(random, bytes);
        return [.. bytes];
    }

    /// <summary>One to three edits of the JSON tree; hostile values go in as placeholders replaced by their raw text, so
    /// that invalid strings (lone surrogates) reach the server exactly as written.</summary>
    private static string MutateStructure(Random random, string seed)
    {
        var root = JsonNode.Parse(seed)!.AsObject();
        var placeholders = new Dictionary<string, string>();
        string Hostile()
        {
            var key = $"@@{placeholders.Count}@@";
            placeholders[key] = HostileValues[random.Next(HostileValues.Length)];
            return key;
        }

        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var fields = Fields(root).ToList();
            var (parent, name) = fields[random.Next(fields.Count)];
            switch (random.Next(5))
            {
                case 0:
                case 1:
                    parent[name] = Hostile();
                    break;
                case 2:
                    parent.Remove(name);
                    break;
                case 3:
                    parent[$"extra_{random.Next(100)}"] = Hostile();
                    break;
                default:
                    var value = parent[name]?.DeepClone();
                    parent[name] = random.Next(2) == 0 ? new JsonArray(value) : new JsonObject { ["value"] = value };
                    break;
            }
        }
        var json = root.ToJsonString();
        foreach (var (key, raw) in placeholders) json = json.Replace($"\"{key}\"", raw);
        return json;
    }

    private static IEnumerable<(JsonObject Parent, string Name)> Fields(JsonObject node)
    {
        foreach (var (name, value) in node.ToList())
        {
            yield return (node, name);
            if (value is JsonObject child)
                foreach (var field in Fields(child)) yield return field;
        }
    }

    private static void MutateBytes(Random random, List<byte> bytes)
    {
        if (bytes.Count == 0) return;
        var at = random.Next(bytes.Count);
        switch (random.Next(6))
        {
            case 0:
                bytes[at] = (byte)random.Next(256);
                break;
            case 1:
                bytes.RemoveRange(at, Math.Min(random.Next(1, 8), bytes.Count - at));
                break;
            case 2:
                bytes.InsertRange(at, Encoding.UTF8.GetBytes(HostileFragments[random.Next(HostileFragments.Length)]));
                break;
            case 3:
                bytes.InsertRange(at, InvalidUtf8[random.Next(InvalidUtf8.Length)]);
                break;
            case 4:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            default:
                var length = Math.Min(random.Next(1, 16), bytes.Count - at);
                bytes.InsertRange(at, bytes.GetRange(at, length));
                break;
        }
    }

    private static string? ContentType(Random random) => random.Next(40) switch
    {
        0 => null,
        1 => "text/plain",
        2 => "application/json; charset=latin1",
        3 => "application/json; charset=utf-16",
        4 => "application/json; charset=\"utf-8\"",
        5 => "application/json; charset=",
        6 => "application/json;;;",
        7 => "application/vnd.api+json",
        _ => "application/json",
    };

    private static string Excerpt(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length > 300 ? text[..300] + "…" : text;
    }
}
