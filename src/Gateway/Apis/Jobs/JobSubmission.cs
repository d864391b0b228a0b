using Gateway.Diffusion.Pipelines;

namespace Gateway.Apis.Jobs;

/// <summary>A validated <c>POST /submit_job</c>: the engine request with every default resolved, and how to schedule it.</summary>
public sealed record JobSubmission(string JobId, GenerationRequest Request, double Credits, TimeSpan Deadline, int Priority)
{
    public int Steps => Request.Steps!.Value;
}
