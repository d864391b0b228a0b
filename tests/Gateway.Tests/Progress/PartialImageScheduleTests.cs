using Gateway.Streaming;

namespace Gateway.Tests.Progress;

public sealed class PartialImageScheduleTests
{
    private static int[] Steps(int partialImages, int steps)
    {
        var chosen = PartialImageSchedule.For(partialImages);
        return Enumerable.Range(1, steps).Where(step => chosen(step, steps)).ToArray();
    }

    [Theory]
    [InlineData(1, 20, new[] { 10 })]
    [InlineData(2, 20, new[] { 6, 13 })]
    [InlineData(3, 20, new[] { 5, 10, 15 })]
    [InlineData(3, 4, new[] { 1, 2, 3 })]
    [InlineData(2, 4, new[] { 1, 2 })]
    // Fewer steps than partial images: they coincide, and the last step is the final image itself.
    [InlineData(3, 2, new[] { 1 })]
    [InlineData(1, 1, new int[0])]
    [InlineData(0, 20, new int[0])]
    public void Partial_images_are_spread_over_the_steps_before_the_last(int partialImages, int steps, int[] expected) =>
        Assert.Equal(expected, Steps(partialImages, steps));
}
