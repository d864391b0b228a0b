namespace Gateway.Diffusion.Adapters;

/// <summary>W ← W + strength · (alpha / rank) · up · down, written in the layout the graph stores W in.</summary>
internal static class LoraMerge
{
    /// <param name="weight">The target's values in its stored layout, changed in place.</param>
    /// <param name="down">[rank, in·kh·kw] row-major (A).</param>
    /// <param name="up">[out, rank] row-major (B).</param>
    public static void AddInto(float[] weight, WeightTarget target, float[] down, float[] up, long rank, float scale)
    {
        var rows = (int)target.Out;
        var columns = (int)target.In;
        var r = (int)rank;
        var delta = new float[columns];
        for (var o = 0; o < rows; o++)
        {
            Array.Clear(delta);
            for (var k = 0; k < r; k++)
            {
                var u = up[o * r + k] * scale;
                if (u == 0) continue;
                var row = k * columns;
                for (var i = 0; i < columns; i++) delta[i] += u * down[row + i];
            }
            if (target.Layout == WeightLayout.InputMajor)
                for (var i = 0; i < columns; i++) weight[i * rows + o] += delta[i];
            else
                for (var i = 0; i < columns; i++) weight[o * columns + i] += delta[i];
        }
    }
}
