using Gateway.Diffusion.Engine;

namespace Gateway.Diffusion.Tests.Engine;

public sealed class FairPriorityQueueTests
{
    private static List<string> Drain(FairPriorityQueue<string> queue)
    {
        var order = new List<string>();
        while (queue.TryDequeue(out var item)) order.Add(item);
        return order;
    }

    [Fact]
    public void Higher_priority_first_and_fifo_within_a_priority()
    {
        var queue = new FairPriorityQueue<string>();
        queue.Enqueue("a1", 1, "k");
        queue.Enqueue("b5", 5, "k");
        queue.Enqueue("a2", 1, "k");
        queue.Enqueue("c3", 3, "k");
        Assert.Equal(["b5", "c3", "a1", "a2"], queue.InDispatchOrder());
        Assert.Equal(["b5", "c3", "a1", "a2"], Drain(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Clients_take_turns_within_a_priority()
    {
        var queue = new FairPriorityQueue<string>();
        foreach (var i in Enumerable.Range(1, 4)) queue.Enqueue($"x{i}", 1, "x");
        queue.Enqueue("y1", 1, "y");
        queue.Enqueue("y2", 1, "y");
        Assert.Equal(["x1", "y1", "x2", "y2", "x3", "x4"], queue.InDispatchOrder());
        Assert.Equal(["x1", "y1", "x2", "y2", "x3", "x4"], Drain(queue));
    }

    [Fact]
    public void A_client_arriving_later_gets_its_turn_after_the_current_one()
    {
        var queue = new FairPriorityQueue<string>();
        queue.Enqueue("x1", 1, "x");
        queue.Enqueue("x2", 1, "x");
        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal("x1", first);
        queue.Enqueue("y1", 1, "y");
        Assert.Equal(["x2", "y1"], Drain(queue));
    }

    [Fact]
    public void Removed_items_leave_no_trace()
    {
        var queue = new FairPriorityQueue<string>();
        queue.Enqueue("x1", 1, "x");
        queue.Enqueue("y1", 1, "y");
        queue.Enqueue("z9", 9, "z");
        Assert.True(queue.Remove("z9", 9, "z"));
        Assert.True(queue.Remove("x1", 1, "x"));
        Assert.False(queue.Remove("x1", 1, "x"));
        Assert.Equal(1, queue.Count);
        Assert.Equal(["y1"], Drain(queue));
    }
}
