using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Credits;
using Gateway.Tests.Support;
using static Gateway.Tests.Jobs.JobsHttp;

namespace Gateway.Tests.Jobs;

public sealed class CreditTests
{
    [Theory]
    [InlineData(1024, 512, 30, 1.0, 0.75)] // the Heurist example: SDXL-class, 1024×512, 30 steps
    [InlineData(1024, 1024, 20, 1.0, 1.0)]
    [InlineData(512, 512, 20, 0.5, 0.125)]
    [InlineData(512, 768, 25, 0.5, 0.234375)]
    [InlineData(64, 64, 1, 1.0, 0.000195)] // 0.0001953125, rounded to six decimals
    public void Cost_is_pixels_over_a_megapixel_times_steps_over_20_times_the_multiplier(int width, int height, int steps, double multiplier, double expected) =>
        Assert.Equal(expected, CreditCost.For(width, height, steps, multiplier));

    [Fact]
    public void A_grant_may_name_its_key_plainly_by_hash_or_by_id()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("sk-1")));
        var accounts = new CreditAccounts([
            new CreditGrant { Key = "sk-1", Credits = 1 },
            new CreditGrant { Key = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("sk-2"))), Credits = 2 },
            new CreditGrant { Key = "key-0123456789ABCDEF", Credits = 3 },
        ]);
        Assert.Equal(1, accounts.GrantOf("key-" + hash[..16]));
        Assert.Equal(3, accounts.GrantOf("key-0123456789abcdef"));
        Assert.Null(accounts.GrantOf("key-ffffffffffffffff"));
        Assert.Throws<InvalidOperationException>(() => new CreditAccounts([new CreditGrant { Key = "sha256:abc", Credits = 1 }]));
        Assert.Throws<InvalidOperationException>(() => new CreditAccounts([new CreditGrant { Key = "sk-1", Credits = -1 }]));
        Assert.Throws<InvalidOperationException>(() =>
            new CreditAccounts([new CreditGrant { Key = "sk-1", Credits = 1 }, new CreditGrant { Key = "key-" + hash[..16], Credits = 1 }]));
    }

    [Fact]
    public async Task Keys_with_a_balance_are_charged_refused_with_402_before_any_work_and_see_their_usage()
    {
        var small = CreditCost.For(64, 64, 2, 0.5);
        var bobHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(GatewayTestServer.OtherKey)));
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            // Bob by the hash form of his key, with room for one and a half small jobs.
            ["Gateway:Credits:Balances:0:Key"] = "sha256:" + bobHash,
            ["Gateway:Credits:Balances:0:Credits"] = (small * 1.5).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var alice = server.Client();
        using var bob = server.Client(GatewayTestServer.OtherKey);

        using var tooDear = await SubmitAsync(bob, Job("dear", 512, 512, 20));
        Assert.Equal(HttpStatusCode.PaymentRequired, tooDear.StatusCode);
        var error = await ErrorAsync(tooDear);
        Assert.Equal("insufficient_credits", error.GetProperty("code").GetString());
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync("/jobs/dear")).StatusCode);

        // Two at once: the first reserves its cost, so the second cannot spend the same credits.
        var answers = await Task.WhenAll(SubmitAsync(bob, Job("one")), SubmitAsync(bob, Job("two")));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.PaymentRequired], answers.Select(a => a.StatusCode).Order());

        var statement = await bob.GetFromJsonAsync<JsonElement>("/credits");
        Assert.Equal("key-" + bobHash[..16], statement.GetProperty("key_id").GetString());
        Assert.False(statement.GetProperty("unlimited").GetBoolean());
        Assert.Equal(small, statement.GetProperty("spent").GetDouble(), tolerance: 1e-6);
        Assert.Equal(small * 0.5, statement.GetProperty("balance").GetDouble(), tolerance: 1e-6);
        var charge = statement.GetProperty("recent").EnumerateArray().Single();
        Assert.Equal(small, charge.GetProperty("credits").GetDouble());
        Assert.Equal(2, charge.GetProperty("num_iterations").GetInt32());

        // Alice has no grant: unlimited, and her usage is hers alone.
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(alice, Job("dear", 128, 128, 4))).StatusCode);
        var hers = await alice.GetFromJsonAsync<JsonElement>("/credits");
        Assert.True(hers.GetProperty("unlimited").GetBoolean());
        Assert.Equal(JsonValueKind.Null, hers.GetProperty("balance").ValueKind);
        Assert.Equal(CreditCost.For(128, 128, 4, 0.5), hers.GetProperty("spent").GetDouble(), tolerance: 1e-6);
        Assert.Equal("dear", hers.GetProperty("recent").EnumerateArray().Single().GetProperty("job_id").GetString());
    }

    [Fact]
    public async Task A_grant_given_by_plain_key_reaches_the_account_authentication_gives_that_key()
    {
        await using var server = await GatewayTestServer.StartAsync(new Dictionary<string, string>
        {
            ["Gateway:Credits:Balances:0:Key"] = GatewayTestServer.Key,
            ["Gateway:Credits:Balances:0:Credits"] = "5",
        });
        using var alice = server.Client();
        var statement = await alice.GetFromJsonAsync<JsonElement>("/credits");
        Assert.Equal(5, statement.GetProperty("granted").GetDouble());
        Assert.Equal(5, statement.GetProperty("balance").GetDouble());
    }
}
