using Gateway.Diffusion.Schedulers;
using static Gateway.Diffusion.Tests.Schedulers.SchedulerTestSupport;

namespace Gateway.Diffusion.Tests.Schedulers;

public sealed class SchedulerFactoryTests
{
    [Fact]
    public void NamesAreTheA1111List()
    {
        Assert.Equal(["Euler a", "Euler", "LMS", "DPM++ 2M", "DPM++ 2M Karras", "DDIM", "PNDM", "LCM", "Flow Euler"], SchedulerFactory.Names);
        Assert.All(SchedulerFactory.ClassNames, c => Assert.Contains(SchedulerFactory.DisplayName(c), SchedulerFactory.Names));
    }

    [Theory]
    [InlineData("Euler a", typeof(EulerAncestralScheduler))]
    [InlineData("euler A", typeof(EulerAncestralScheduler))]
    [InlineData("EulerAncestralDiscreteScheduler", typeof(EulerAncestralScheduler))]
    [InlineData("Euler", typeof(EulerDiscreteScheduler))]
    [InlineData("eulerdiscretescheduler", typeof(EulerDiscreteScheduler))]
    [InlineData("LMS", typeof(LmsDiscreteScheduler))]
    [InlineData("LMSDiscreteScheduler", typeof(LmsDiscreteScheduler))]
    [InlineData("DPM++ 2M", typeof(DpmSolverMultistepScheduler))]
    [InlineData("dpm++ 2m karras", typeof(DpmSolverMultistepScheduler))]
    [InlineData("DPMSolverMultistepScheduler", typeof(DpmSolverMultistepScheduler))]
    [InlineData("DDIM", typeof(DdimScheduler))]
    [InlineData("DDIMScheduler", typeof(DdimScheduler))]
    [InlineData(" PNDM ", typeof(PndmScheduler))]
    [InlineData("PNDMScheduler", typeof(PndmScheduler))]
    [InlineData("lcm", typeof(LcmScheduler))]
    [InlineData("LCMScheduler", typeof(LcmScheduler))]
    [InlineData("Flow Euler", typeof(FlowMatchEulerDiscreteScheduler))]
    [InlineData("flowmatcheulerdiscretescheduler", typeof(FlowMatchEulerDiscreteScheduler))]
    public void CreatesByA1111OrClassName(string name, Type expected)
    {
        Assert.True(SchedulerFactory.IsKnown(name));
        Assert.IsType(expected, SchedulerFactory.Create(name, StableDiffusion, 10));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void EmptyNameMeansTheConfigsOwnClass(string? name)
    {
        var config = StableDiffusion with { ClassName = "PNDMScheduler" };

        Assert.IsType<PndmScheduler>(SchedulerFactory.Create(name, config, 10));
        Assert.Throws<UnknownSchedulerException>(() => SchedulerFactory.Create(name, StableDiffusion, 10));
    }

    [Fact]
    public void UnknownNameListsTheValidNames()
    {
        var error = Assert.Throws<UnknownSchedulerException>(() => SchedulerFactory.Create("Heun", StableDiffusion, 10));

        Assert.IsAssignableFrom<ArgumentException>(error);
        Assert.Equal("Heun", error.SchedulerName);
        Assert.Contains("'Heun'", error.Message);
        foreach (var name in SchedulerFactory.Names.Concat(SchedulerFactory.ClassNames))
            Assert.Contains(name, error.Message);
        Assert.False(SchedulerFactory.IsKnown("Heun"));
        Assert.False(SchedulerFactory.IsKnown(null));
    }

    [Fact]
    public void KarrasNameOverridesTheConfig()
    {
        var config = StableDiffusion with { TimestepSpacing = TimestepSpacing.Linspace };
        var plain = (DpmSolverMultistepScheduler)SchedulerFactory.Create("DPM++ 2M", config with { UseKarrasSigmas = true }, 10);
        var karras = (DpmSolverMultistepScheduler)SchedulerFactory.Create("DPM++ 2M Karras", config, 10);
        var byClass = (DpmSolverMultistepScheduler)SchedulerFactory.Create("DPMSolverMultistepScheduler", config with { UseKarrasSigmas = true }, 10);

        Assert.Equal(new DpmSolverMultistepScheduler(config, 10, useKarrasSigmas: false).Sigmas, plain.Sigmas);
        Assert.Equal(new DpmSolverMultistepScheduler(config, 10, useKarrasSigmas: true).Sigmas, karras.Sigmas);
        Assert.Equal(karras.Sigmas, byClass.Sigmas);
    }

    [Fact]
    public void OtherSchedulerKeepsTheModelsKeysAndItsOwnDefaultsForTheRest()
    {
        // SD 1.5's PNDM config with "Euler a": the file's betas and steps_offset carry over; it has no timestep_spacing,
        // so Euler a's own default (linspace) applies, as diffusers' from_config gives (999, 888, …, 0).
        var config = SchedulerConfig.Parse("""
            {"_class_name": "PNDMScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "num_train_timesteps": 1000, "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1}
            """);

        var scheduler = (EulerAncestralScheduler)SchedulerFactory.Create("Euler a", config, 10);
        var pndm = (PndmScheduler)SchedulerFactory.Create(null, config, 10);

        Assert.Equal([999f, 888, 777, 666, 555, 444, 333, 222, 111, 0], scheduler.Timesteps);
        AssertGolden([14.614645f], [scheduler.InitNoiseSigma]);
        Assert.Equal([901f, 801, 801, 701, 601, 501, 401, 301, 201, 101, 1], pndm.Timesteps);
    }

    [Theory]
    [InlineData("PNDMScheduler", "PNDM")]
    [InlineData("eulerancestraldiscretescheduler", "Euler a")]
    [InlineData("DPMSolverMultistepScheduler", "DPM++ 2M")]
    [InlineData("dpm++ 2m karras", "DPM++ 2M Karras")]
    [InlineData(" Euler ", "Euler")]
    [InlineData("FlowMatchEulerDiscreteScheduler", "Flow Euler")]
    [InlineData("flow euler", "Flow Euler")]
    public void DisplayNameIsTheA1111Name(string name, string expected) =>
        Assert.Equal(expected, SchedulerFactory.DisplayName(name));

    [Fact]
    public void SequenceLengthReachesDynamicShiftingAndOnlyIt()
    {
        var dynamic = new SchedulerConfig { ClassName = "FlowMatchEulerDiscreteScheduler", UseDynamicShifting = true, Shift = 3.0 };

        var small = (FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create(null, dynamic, 20, 1024);
        var large = (FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create("Flow Euler", dynamic, 20, 4096);
        Assert.Equal(new FlowMatchEulerDiscreteScheduler(dynamic, 20, 1024).Sigmas, small.Sigmas);
        Assert.True(large.Sigmas[1] > small.Sigmas[1]);

        var error = Assert.Throws<ArgumentException>(() => SchedulerFactory.Create("Flow Euler", dynamic, 20));
        Assert.Equal("imageSequenceLength", error.ParamName);
        Assert.Contains("use_dynamic_shifting", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SchedulerFactory.Create("Flow Euler", dynamic, 20, 0));
        // Static shifting and the other schedulers need no sequence length and ignore one.
        Assert.Equal(((FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create("Flow Euler", dynamic with { UseDynamicShifting = false }, 4)).Sigmas,
            ((FlowMatchEulerDiscreteScheduler)SchedulerFactory.Create("Flow Euler", dynamic with { UseDynamicShifting = false }, 4, 4096)).Sigmas);
        Assert.Equal(SchedulerFactory.Create("Euler", StableDiffusion, 10).Timesteps, SchedulerFactory.Create("Euler", StableDiffusion, 10, 4096).Timesteps);
    }
}
