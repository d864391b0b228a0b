using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Gateway.Apis.Shared;

namespace Gateway.Apis.Jobs;

/// <summary>
/// The body of <c>POST /submit_job</c> as the OpenAPI document describes it. The handler reads the JSON through
/// <see cref="SubmitJobReader"/> instead, so that unknown fields are caught and errors name JSON paths; keep the two in step.
/// </summary>
public sealed record SubmitJobSchema
{
    [JsonPropertyName("job_id"), Required, RegularExpression("^[A-Za-z0-9._:-]{1,128}$")]
    [Description("Your id for the job, unique per API key; GET and DELETE /jobs/{job_id} use it.")]
    public required string JobId { get; init; }

    [JsonPropertyName("model_id"), Required, Description("A name from GET /models.")]
    public required string ModelId { get; init; }

    [JsonPropertyName("model_input"), Required]
    public required JobModelInputSchema ModelInput { get; init; }

    [JsonPropertyName("model_type"), AllowedValues("SD"), Description("Sent by the Heurist SDK; only SD is served.")]
    public string? ModelType { get; init; }

    [JsonPropertyName("deadline"), DefaultValue(60), Range(0.1, double.MaxValue)]
    [Description("Seconds the job may take, queueing included (at most Gateway:Jobs:MaxDeadlineSeconds, 3600 by default). " +
                 "Past it the job is stopped (504); a job the queue cannot finish in time is refused at once (503).")]
    public double? Deadline { get; init; }

    [JsonPropertyName("priority"), DefaultValue(1), Range(0, int.MaxValue)]
    [Description("Higher runs first (at most Gateway:Jobs:MaxPriority, 10 by default).")]
    public int? Priority { get; init; }
}

public sealed record JobModelInputSchema
{
    [JsonPropertyName("SD"), Required]
    public required JobSdInputSchema Sd { get; init; }
}

public sealed record JobSdInputSchema
{
    [JsonPropertyName("prompt"), Required, StringLength(DialectFields.MaxTextLength, MinimumLength = 1)]
    [Description("What to draw; the model's autofill trigger words are added in front when missing.")]
    public required string Prompt { get; init; }

    [JsonPropertyName("neg_prompt"), StringLength(DialectFields.MaxTextLength), Description("What to avoid.")]
    public string? NegPrompt { get; init; }

    [JsonPropertyName("num_iterations"), Range(1, 50), Description("Denoising steps; default: the model's (GET /models).")]
    public int? NumIterations { get; init; }

    [JsonPropertyName("width"), DefaultValue(512), Range(64, int.MaxValue), Description("A multiple of 8, at most the model's max_side.")]
    public int? Width { get; init; }

    [JsonPropertyName("height"), DefaultValue(512), Range(64, int.MaxValue), Description("A multiple of 8, at most the model's max_side.")]
    public int? Height { get; init; }

    [JsonPropertyName("guidance_scale"), Range(0, 30), Description("Classifier-free guidance; default: the model's.")]
    public double? GuidanceScale { get; init; }

    [JsonPropertyName("seed"), DefaultValue(-1)]
    [Description("-1 picks a random seed; otherwise any seed from 0 to 9223372036854775807 (the noise comes from its low 32 bits, " +
                 "as with torch.manual_seed). The seed used is in the X-Seed header and GET /jobs.")]
    public long? Seed { get; init; }
}
