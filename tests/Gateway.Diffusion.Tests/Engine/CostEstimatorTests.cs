using Gateway.Diffusion.Engine;

namespace Gateway.Diffusion.Tests.Engine;

public sealed class CostEstimatorTests
{
    [Fact]
    public void Nothing_is_known_before_a_run()
    {
        Assert.Null(new CostEstimator().Estimate("m", 1));
    }

    [Fact]
    public void One_size_alone_scales_in_proportion()
    {
        var costs = new CostEstimator();
        costs.Observe("m", 2, TimeSpan.FromSeconds(1));
        costs.Observe("m", 2, TimeSpan.FromSeconds(1));
        Assert.Equal(2.0, costs.Estimate("m", 4)!.Value.TotalSeconds, 6);
    }

    [Fact]
    public void A_fixed_cost_is_separated_from_the_cost_per_unit()
    {
        // Runs that take 0.2 s + 0.8 s per unit: a tiny job must not make a big one look slow.
        var costs = new CostEstimator();
        foreach (var units in new[] { 0.01, 1.0, 0.05, 2.0 })
            costs.Observe("m", units, TimeSpan.FromSeconds(0.2 + 0.8 * units));
        Assert.Equal(0.2 + 0.8 * 50, costs.Estimate("m", 50)!.Value.TotalSeconds, 3);
        Assert.Equal(0.2 + 0.8 * 0.1, costs.Estimate("m", 0.1)!.Value.TotalSeconds, 3);
    }

    [Fact]
    public void Models_are_estimated_apart_and_recent_runs_weigh_more()
    {
        var costs = new CostEstimator();
        costs.Observe("fast", 1, TimeSpan.FromSeconds(1));
        Assert.Null(costs.Estimate("slow", 1));
        for (var i = 0; i < 40; i++) costs.Observe("fast", 1, TimeSpan.FromSeconds(3));
        Assert.InRange(costs.Estimate("fast", 1)!.Value.TotalSeconds, 2.9, 3.0);
    }
}
