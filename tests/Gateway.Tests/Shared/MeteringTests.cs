using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Shared;

/// <summary>Every dialect charges the same price for the same work, shows it, and refuses with 402 what the balance cannot pay.</summary>
public sealed class MeteringTests
{
    // tiny-sd: 512x512 at its default 20 steps, multiplier 0.5.
    private static readonly double Price = CreditCost.For(512, 512, 20, 0.5);

    [Fact]
    public async Task OpenAi_hyperbolic_and_jobs_reduce_a_metered_balance_by_the_same_amount()
    {
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:Credits:Balances:0:Key"] = GatewayTestServer.OtherKey,
            ["Gateway:Credits:Balances:0:Credits"] = (Price * 3.5).ToString(CultureInfo.InvariantCulture),
        });
        using var bob = server.Client(GatewayTestServer.OtherKey);

        var spent = new List<double> { await SpentAsync(bob) };
        var charged = new List<double>();
        foreach (var send in new Func<Task<HttpResponseMessage>>[] { () => OpenAiAsync(bob), () => HyperbolicAsync(bob), () => JobAsync(bob, "j1") })
        {
            using var response = await send();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            charged.Add(double.Parse(response.Headers.GetValues("X-Credits-Charged").Single(), CultureInfo.InvariantCulture));
            spent.Add(await SpentAsync(bob));
        }

        Assert.All(charged, c => Assert.Equal(Price, c, tolerance: 1e-9));
        Assert.All(spent.Zip(spent.Skip(1), (before, after) => after - before), delta => Assert.Equal(Price, delta, tolerance: 1e-6));
        var statement = await bob.GetFromJsonAsync<JsonElement>("/credits");
        var ids = statement.GetProperty("recent").EnumerateArray().Select(e => e.GetProperty("job_id").GetString()!).ToList();
        Assert.Equal(3, ids.Count);
        Assert.Contains(ids, id => id.StartsWith("openai-", StringComparison.Ordinal));
        Assert.Contains(ids, id => id.StartsWith("hyperbolic-", StringComparison.Ordinal));
        Assert.Contains("j1", ids);

        // Half a price is left: every dialect refuses before any work, and charges nothing.
        foreach (var send in new Func<Task<HttpResponseMessage>>[] { () => OpenAiAsync(bob), () => HyperbolicAsync(bob), () => JobAsync(bob, "j2") })
        {
            using var response = await send();
            Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
            Assert.Equal("insufficient_credits", (await ErrorAsync(response)).GetProperty("code").GetString());
        }
        Assert.Equal(spent[^1], await SpentAsync(bob), tolerance: 1e-9);
    }

    private static async Task<double> SpentAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/credits")).GetProperty("spent").GetDouble();

    private static Task<HttpResponseMessage> OpenAiAsync(HttpClient client) =>
        client.PostAsJsonAsync("/v1/images/generations",
            new Dictionary<string, object> { ["model"] = "tiny-sd", ["prompt"] = "a lighthouse", ["size"] = "512x512" });

    private static Task<HttpResponseMessage> HyperbolicAsync(HttpClient client) =>
        client.PostAsJsonAsync("/v1/image/generation", new Dictionary<string, object>
        {
            ["model_name"] = "tiny-sd", ["prompt"] = "a lighthouse", ["width"] = 512, ["height"] = 512, ["steps"] = 20,
        });

    private static Task<HttpResponseMessage> JobAsync(HttpClient client, string id) => SubmitAsync(client, Job(id, 512, 512, 20));
}
