using Gateway.Apis.Shared;
using Gateway.Credits;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Gateway.Errors;

namespace Gateway.Apis.Jobs;

/// <summary>
/// The <c>POST /submit_job</c> body, field by field: names, defaults and limits of the Heurist / Xalora dialect.
/// Every error is a 400 naming the field's JSON path; unknown fields are refused, so a typo is not silently ignored.
/// </summary>
public static class SubmitJobReader
{
    private const int DefaultSide = 512;

    public static JobSubmission Read(JsonFields body, ModelCatalog catalog, JobsOptions options)
    {
        var jobId = body.String("job_id", required: true, minLength: 1, maxLength: 128)!;
        if (!JobIds.IsValid(jobId))
            throw ApiException.BadRequest("job_id", $"'job_id' may contain only {JobIds.Rule}.");
        // The Heurist SDK sends model_type "SD"; it is the only kind this server runs.
        body.Choice("model_type", ["SD"]);
        var model = DialectModels.Find(catalog, body.String("model_id", required: true, minLength: 1)!, "model_id");

        var modelInput = body.Object("model_input", required: true)!;
        var sd = modelInput.Object("SD", required: true)!;
        var prompt = DialectFields.Text(sd, "prompt", required: true, minLength: 1)!;
        if (string.IsNullOrWhiteSpace(prompt))
            throw ApiException.BadRequest(sd.PathOf("prompt"), $"'{sd.PathOf("prompt")}' must not be blank.");
        var negative = DialectFields.Text(sd, "neg_prompt") ?? "";
        var steps = (int)(sd.Integer("num_iterations", 1, 50) ?? model.DefaultSteps);
        var width = Side(sd, "width", model);
        var height = Side(sd, "height", model);
        var guidance = sd.Number("guidance_scale", 0, 30) ?? model.DefaultGuidance;
        // Any non-negative 64-bit seed, as the Heurist SDK may send: like torch.manual_seed, the noise depends on its
        // low 32 bits, and the seed is reported as sent.
        var seed = sd.Integer("seed", -1, long.MaxValue) is >= 0 and var chosen ? (ulong)chosen : Seeds.Random();
        DialectFields.RefuseUnread(sd);
        DialectFields.RefuseUnread(modelInput);

        var deadline = body.Number("deadline", 0.1, options.MaxDeadlineSeconds) ?? options.DefaultDeadlineSeconds;
        var priority = (int)(body.Integer("priority", 0, options.MaxPriority) ?? 1);
        DialectFields.RefuseUnread(body);

        var request = new GenerationRequest
        {
            Model = model.Id,
            Prompt = PromptAutofill.Apply(prompt, model.Autofill),
            NegativePrompt = negative,
            Width = width,
            Height = height,
            Steps = steps,
            Guidance = guidance,
            Seed = seed,
        };
        return new JobSubmission(jobId, request, CreditCost.For(width, height, steps, model.CreditMultiplier),
            TimeSpan.FromSeconds(deadline), priority);
    }

    /// <summary>A side within the model's range; the engine checks that it is a multiple of 8.</summary>
    private static int Side(JsonFields sd, string name, ModelCatalogEntry model) =>
        (int)(sd.Integer(name, 64, model.MaxSide) ?? Math.Min(DefaultSide, model.MaxSide / 8 * 8));
}
