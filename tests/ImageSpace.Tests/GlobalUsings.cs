global using ImageSpace.Core.Export;
global using ImageSpace.Core.Operators;
global using ImageSpace.Core.Raw;
global using Xunit;
