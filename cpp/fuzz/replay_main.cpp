// A main() for the fuzz targets without libFuzzer: runs the target once on each file named, or on every file
// in each folder named. For valgrind and debuggers, which want a plain program.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

size_t run_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, so that a read past its end is one past an allocation.
  std::vector<uint8_t> exact(data);
  LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
  return 1;
}

size_t run(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) return run_file(path);
  size_t n = 0;
  if (DIR* d = opendir(path.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') n += run(path + "/" + e->d_name);
    closedir(d);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 0;
  for (int i = 1; i < argc; ++i) n += run(argv[i]);
  std::printf("%zu inputs run\n", n);
  return 0;
}
