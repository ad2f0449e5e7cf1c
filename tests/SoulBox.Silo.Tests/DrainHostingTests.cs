using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SoulBox.Grains.Hosting;
using SoulBox.Silo.Hosting;

namespace SoulBox.Silo.Tests;

/// <summary>Drain settings as the host sees them, without starting a node.</summary>
public sealed class DrainHostingTests
{
    [Theory]
    [InlineData(null, 40)]
    [InlineData("60", 70)]
    [InlineData("5", 30)]
    public async Task TheHostsShutdownTimeout_OutlastsTheDrainDeadline(string? deadline, int expectedSeconds)
    {
        string[] args = deadline is null
            ? ["--SoulBox:NodeName", "draincfg"]
            : ["--SoulBox:NodeName", "draincfg", "--SoulBox:Drain:DeadlineSeconds", deadline];
        var builder = WebApplication.CreateBuilder(args);
        builder.AddSoulBoxSilo();
        await using var app = builder.Build();
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public void ANegativeDeadline_FailsStartUpNamingTheSetting()
    {
        // The host reads its shutdown timeout from the drain settings while it is built, so a bad one stops it there.
        var builder = WebApplication.CreateBuilder(["--SoulBox:NodeName", "draincfg", "--SoulBox:Drain:DeadlineSeconds", "-1"]);
        builder.AddSoulBoxSilo();
        var error = Assert.Throws<OptionsValidationException>(() => builder.Build());
        Assert.Contains(DrainOptions.SectionName + ":DeadlineSeconds", error.Message);
    }
}
