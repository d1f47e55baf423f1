# imagespace-exiftool.pl EXIFTOOL [ARGUMENTS...]
#
# Runs the exiftool script EXIFTOOL with ARGUMENTS, unchanged but for one thing: when a tag is written by name, exiftool
# loads only the tag tables that can receive it.
#
# Why: to write a tag given by name, exiftool's FindTagInfo (Image/ExifTool/TagLookup.pm) loads every module that has a
# tag of that name, whatever the group asked for. Copying a DNG's EXIF into our output template ("-exif:all": Make,
# Model, ISO, ExposureTime...) so compiles the Canon, Nikon, Sony, Pentax, Olympus, QuickTime, MIE, PDF... modules:
# 3.5 MB of Perl and ~0.13 s of CPU for each exiftool process, the largest part of its start-up (Image Space issue 17).
#
# Why it changes nothing: a copied tag comes from a table exiftool loaded to read the source, and it is written to the
# same group (-exif:all, -xmp:all...). A table of a module that reading the source did not load cannot be that group's
# table, so FindTagInfo is told such a table is empty instead of compiling its module. Modules of the groups Image
# Space writes (EXIF, GPS, XMP, IPTC, maker notes, Photoshop, ICC) and of its output formats (JPEG, PNG: exiftool also
# adds PNG:Software) are always loaded. The test ExifToolLazyTablesTests holds the outputs byte for byte to plain
# exiftool's on the sample files. Anything unexpected (another exiftool version without these functions) leaves
# exiftool as it is.
use strict;
use warnings;

my $exiftool = shift @ARGV;
die "usage: perl imagespace-exiftool.pl EXIFTOOL [ARGUMENTS...]\n" unless defined $exiftool and -f $exiftool;

# Set up as exiftool's own BEGIN block does (its library beside it, also through a symbolic link), so that the modules
# loaded here are the ones it would load itself.
$0 = $exiftool;
# Setting $0 renamed the process after the script's path, cut to 15 characters: it is exiftool's, as when run directly.
if (open my $comm, '>', "/proc/$$/comm") { print $comm 'exiftool'; close $comm; }
{
    my $exeDir = ($0 =~ /(.*)[\\\/]/) ? $1 : '.';
    my $incDir = ($0 =~ /(.*)[\\\/]/) ? "$1/lib" : './lib';
    if (-l $0) {
        my $lnk = eval { readlink $0 };
        if (defined $lnk) {
            my $lnkDir = ($lnk =~ /(.*)[\\\/]/) ? $1 : '.';
            $exeDir = (($lnk =~ m(^/)) ? '' : $exeDir . '/') . $lnkDir;
            $incDir = "$exeDir/lib";
        }
    }
    no warnings 'once';
    $Image::ExifTool::exeDir = $exeDir;
    unshift @INC, $incDir;
}

eval {
    require Image::ExifTool;
    require Image::ExifTool::TagLookup;
    my $load = \&Image::ExifTool::GetTagTable;
    my %written = map { ("Image::ExifTool::$_" => 1) } qw(Exif GPS XMP IPTC MakerNotes Photoshop ICC_Profile JPEG PNG);
    $written{'Image::ExifTool'} = 1;
    no strict 'refs';
    no warnings 'redefine';
    # FindTagInfo calls GetTagTable through TagLookup's imported name: only its lookups change.
    *{'Image::ExifTool::TagLookup::GetTagTable'} = sub ($) {
        my $table = $_[0];
        if (defined $table and $table =~ /^(.*)::/ and not $written{$1}) {
            (my $file = "$1.pm") =~ s{::}{/}g;
            return {} unless $INC{$file} or %{$table};
        }
        return $load->(@_);
    };
    1;
};

do $exiftool;
die $@ if $@;
